"""The package version, in a module of its own so that anything may import it without importing the package's
lazy facade (`yolocls.__init__` resolves `YOLO` from engine/ on first use)."""

__version__ = "0.1.0"
