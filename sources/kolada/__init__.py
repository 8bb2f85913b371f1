"""jamfor sources.kolada layer."""
