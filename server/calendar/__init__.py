"""Working days: the library calendar, administrators' overrides and due expressions."""
