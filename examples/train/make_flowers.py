#!/usr/bin/python3
"""Write flowers.csv and flowers-new.csv beside this script: a made-up, iris-like data set for the
README's "train, then use it" walk-through (run from anywhere; the output is the same each time).

flowers.csv: 150 flowers in 3 species (50 each), four measurements in centimetres, with the
label column `species` (texts) between them, as data often comes. flowers-new.csv: 6 more
flowers of the same kinds without the species column, to predict.
"""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
SPECIES = {  # mean and spread of sepal length, sepal width, petal length, petal width
    "setosa": ((5.0, 0.35), (3.4, 0.38), (1.5, 0.17), (0.25, 0.1)),
    "versicolor": ((5.9, 0.5), (2.8, 0.31), (4.3, 0.47), (1.3, 0.2)),
    "virginica": ((6.6, 0.6), (3.0, 0.32), (5.6, 0.55), (2.0, 0.27)),
}


def flower(rng, name):
    return [max(0.1, round(rng.gauss(m, s), 1)) for m, s in SPECIES[name]]


def main():
    rng = random.Random(7)
    rows = ["sepal_length,sepal_width,species,petal_length,petal_width"]
    for i in range(150):
        name = list(SPECIES)[i % 3]
        a, b, c, d = flower(rng, name)
        rows.append(f"{a},{b},{name},{c},{d}")
    with open(os.path.join(HERE, "flowers.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    new = ["sepal_length,sepal_width,petal_length,petal_width"]
    for name in ["setosa", "virginica", "versicolor", "setosa", "virginica", "versicolor"]:
        new.append(",".join(str(v) for v in flower(rng, name)))
    with open(os.path.join(HERE, "flowers-new.csv"), "w") as f:
        f.write("\n".join(new) + "\n")


if __name__ == "__main__":
    main()
