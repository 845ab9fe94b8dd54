"""doltlite: the embedded Dolt backend (one file per database)."""
