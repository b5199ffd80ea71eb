"""The tutorial-style bot the benchmark compares the real one against."""
