# Test suites beyond the per-module unit tests.
