"""Benchmarks: a seeded generator of city-like rounds and a side-by-side harness.

    python -m benchmarks.generate --size M            # writes the cached round, prints its path
    python -m benchmarks.run --size L                 # measures every contender, updates RESULTS.md

See docs/scale.md and benchmarks/RESULTS.md.
"""
