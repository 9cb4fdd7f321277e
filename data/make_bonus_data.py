"""Write ``data/bonus.csv``, the Employee Bonus Predictor's dataset.

The data are synthetic, so the relationship a student's model should find is
known exactly.  For each of ``N_EMPLOYEES`` = 1,000 employees:

* ``performance_rating``: uniform on [1, 10], one decimal place;
* ``years_experience``: integer, ``round(Gamma(shape=2, scale=5))`` clipped to [0, 40];
* ``projects_completed``: integer, ``round(0.5 * years + Poisson(8))`` clipped to [0, 60]
  (correlated with experience, as in a real company);
* ``bonus`` (currency units, two decimals)::

      bonus = 1000 + 650 * performance_rating + 90 * years_experience
                   + 35 * projects_completed + Normal(0, 400)

So ordinary least squares on the raw features should recover intercept ~1000
and slopes ~(650, 90, 35), with a residual standard deviation ~400 (an optimal
MSE ~160,000).  No value is missing.  Run from anywhere; the output is
byte-for-byte reproducible (seed ``SEED``)::

    python data/make_bonus_data.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

SEED = 2024
N_EMPLOYEES = 1_000
INTERCEPT = 1000.0
COEFFICIENTS = {"performance_rating": 650.0, "years_experience": 90.0, "projects_completed": 35.0}
NOISE_STD = 400.0
OUTPUT = Path(__file__).resolve().parent / "bonus.csv"


def generate(n: int = N_EMPLOYEES, seed: int = SEED) -> list[tuple[float, int, int, float]]:
    rng = np.random.default_rng(seed)
    performance = np.round(rng.uniform(1.0, 10.0, n), 1)
    years = np.clip(np.round(rng.gamma(2.0, 5.0, n)), 0, 40).astype(int)
    projects = np.clip(np.round(0.5 * years + rng.poisson(8.0, n)), 0, 60).astype(int)
    noise = rng.normal(0.0, NOISE_STD, n)
    bonus = (
        INTERCEPT
        + COEFFICIENTS["performance_rating"] * performance
        + COEFFICIENTS["years_experience"] * years
        + COEFFICIENTS["projects_completed"] * projects
        + noise
    )
    return [(float(p), int(y), int(c), round(float(b), 2)) for p, y, c, b in zip(performance, years, projects, bonus)]


def main() -> None:
    rows = generate()
    with OUTPUT.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([*COEFFICIENTS, "bonus"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} employees to {OUTPUT}")


if __name__ == "__main__":
    main()
