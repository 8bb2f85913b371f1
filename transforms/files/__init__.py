"""Pure transforms of delivered files (json-stat2, SCB/Socialstyrelsen tables, network templates)."""
