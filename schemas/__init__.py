"""jamfor schemas layer."""
