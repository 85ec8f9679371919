"""Great Expectations suites as code, validated in-process on Pandas frames."""
