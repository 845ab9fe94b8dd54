"""What the staged relations hold: profiles, type inference, foreign-key candidates."""
