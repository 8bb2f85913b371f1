"""jamfor sources layer."""
