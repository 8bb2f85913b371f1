"""jamfor transforms layer."""
