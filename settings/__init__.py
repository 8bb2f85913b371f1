"""Settings below every layer: where a run keeps its files, JAMFOR_* environment parsing, the load's
memory tuning, the run log and the CLI's exit codes. Imports nothing of jamfor's other packages."""
