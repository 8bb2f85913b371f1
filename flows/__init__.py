"""jamfor flows layer."""
