"""Benchmarks: a seeded generator of city-like rounds and a side-by-side harness.

    python -m benchmarks.generate --size M            # writes the cached round, prints its path
    python -m benchmarks.run --size L --repeat 3      # measures every contender, interleaved, updates RESULTS.md
    python -m benchmarks.run --check                  # S and M: every contender reaches matcher's optimum

See docs/scale.md and benchmarks/RESULTS.md.
"""
