"""jamfor warehouse layer."""
