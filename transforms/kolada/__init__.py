"""jamfor transforms.kolada layer."""
