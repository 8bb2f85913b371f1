"""The warehouse's model catalogue: one YAML file per table (see models.catalogue)."""
