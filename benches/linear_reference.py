#!/usr/bin/env python3
"""Reference answers of scikit-learn's LIBLINEAR for the Rust linear solver (src/train/linear.rs).

Makes a fixed sparse data set (300 rows, 3 classes, 50 features, seeded numpy), fits
LinearSVC (squared hinge, dual, LIBLINEAR -s 1) and one-vs-rest LogisticRegression
(liblinear, dual, -s 7), and writes the rows, sklearn's coefficients and its predictions.

Regenerate (the fixture is committed; regenerate only when the data or settings change):
    python3 -m venv target/linref-venv
    target/linref-venv/bin/pip install scikit-learn numpy
    target/linref-venv/bin/python benches/linear_reference.py > tests/fixtures/linear-reference.json

For timing (no fixture): `--make ROWS FEATURES CLASSES WORDS OUT` writes a scaled-up set of the
same kind as JSON lines (rows of about WORDS words); `--fit OUT TOL` prints the seconds
LinearSVC's fit takes on it (the loading is not timed).
"""

import json
import sys
import time

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.svm import LinearSVC

C = 1.0
TOL = 1e-5
MAX_ITER = 100_000


def make(rows, features, classes, words=8, seed=11):
    """Bag-of-words-like rows: each class prefers its own features, with overlap between
    classes; values are log counts, each row scaled to unit length, in float32."""
    rng = np.random.default_rng(seed)
    prefs = rng.dirichlet(np.full(features, 0.05), size=classes)
    uniform = np.full(features, 1.0 / features)
    labels = rng.integers(0, classes, size=rows)
    indptr, indices, values = [0], [], []
    for label in labels:
        mix = 0.3 * prefs[label] + 0.7 * uniform
        counts = rng.multinomial(1 + rng.poisson(words), mix)
        idx = np.flatnonzero(counts)
        val = np.log1p(counts[idx]).astype(np.float64)
        val /= np.linalg.norm(val)
        indices.extend(idx.tolist())
        values.extend(val.astype(np.float32).tolist())
        indptr.append(len(indices))
    x = sparse.csr_matrix(
        (np.array(values, dtype=np.float32), np.array(indices), np.array(indptr)),
        shape=(rows, features),
    )
    return x, labels


def svc(tol=TOL):
    return LinearSVC(
        C=C, loss="squared_hinge", dual=True, tol=tol, max_iter=MAX_ITER,
        fit_intercept=True, intercept_scaling=1.0, random_state=0,
    )


def logistic():
    return OneVsRestClassifier(LogisticRegression(
        solver="liblinear", dual=True, C=C, tol=TOL, max_iter=MAX_ITER,
        fit_intercept=True, intercept_scaling=1.0, random_state=0,
    ))


def fixture():
    x, y = make(300, 50, 3)
    s = svc().fit(x, y)
    lr = logistic().fit(x, y)
    rows = []
    for i in range(x.shape[0]):
        r = x.getrow(i)
        rows.append({
            "idx": r.indices.tolist(),
            "val": [float(v) for v in r.data],
            "label": int(y[i]),
        })
    out = {
        "generator": "benches/linear_reference.py",
        "features": 50,
        "classes": 3,
        "c": C,
        "tol": TOL,
        "rows": rows,
        "svc": {
            "coef": s.coef_.tolist(),
            "intercept": s.intercept_.tolist(),
            "predictions": s.predict(x).tolist(),
        },
        "logistic": {
            "coef": [e.coef_[0].tolist() for e in lr.estimators_],
            "intercept": [float(e.intercept_[0]) for e in lr.estimators_],
            "predictions": lr.predict(x).tolist(),
        },
    }
    json.dump(out, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


def write_rows(x, y, out):
    with open(out, "w") as f:
        for i in range(x.shape[0]):
            r = x.getrow(i)
            f.write(json.dumps({"idx": r.indices.tolist(),
                                "val": [float(v) for v in r.data],
                                "label": int(y[i])}) + "\n")


def read_rows(path):
    indptr, indices, values, labels = [0], [], [], []
    features = 0
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            indices.extend(r["idx"])
            values.extend(r["val"])
            labels.append(r["label"])
            indptr.append(len(indices))
            features = max([features] + [j + 1 for j in r["idx"]])
    x = sparse.csr_matrix(
        (np.array(values, dtype=np.float64), np.array(indices), np.array(indptr)),
        shape=(len(labels), features),
    )
    return x, np.array(labels)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--make":
        rows, features, classes, words = map(int, sys.argv[2:6])
        x, y = make(rows, features, classes, words)
        write_rows(x, y, sys.argv[6])
        print(f"{rows} rows, {features} features, {classes} classes, {x.nnz} non-zeros",
              file=sys.stderr)
    elif len(sys.argv) > 1 and sys.argv[1] == "--fit":
        x, y = read_rows(sys.argv[2])
        start = time.perf_counter()
        model = svc(float(sys.argv[3])).fit(x, y)
        seconds = time.perf_counter() - start
        print(f"sklearn LinearSVC fit {seconds:.3f} s, n_iter {model.n_iter_}, "
              f"training accuracy {(model.predict(x) == y).mean():.4f}")
    else:
        fixture()
