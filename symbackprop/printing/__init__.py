"""Printers: SymPy expressions to NumPy/CuPy code and to LaTeX, one subclass per target."""
