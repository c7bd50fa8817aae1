"""Reproducible benchmarks: each measures ILOS beside a floor run in the same benchmark run."""
