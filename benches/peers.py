"""Peers on the ATA routing benchmark, run beside tiermatch by `cargo xtask bench`.

scikit-learn TF-IDF (word 1-2 + char_wb 2-5) + LinearSVC(C=0.5), and fastText (25 epochs, lr 0.5,
wordNgrams 2, subwords 2-5, dim 50), as in ../shared/data/bench/README.md. Prints one line each.
"""
import csv, os, sys, tempfile, time

BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "bench")


def load(name):
    with open(os.path.join(BENCH, name), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [(r["subject"] + "\n" + r["body"]).strip() for r in rows], [r["label"] for r in rows]


def macro_f1(truth, pred):
    from sklearn.metrics import f1_score
    return f1_score(truth, pred, labels=sorted(set(truth)), average="macro", zero_division=0)


def main():
    xtr, ytr = load("ata-routing-train.csv")
    xte, yte = load("ata-routing-test.csv")
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    t = time.time()
    clf = make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        ),
        LinearSVC(C=0.5),
    )
    clf.fit(xtr, ytr)
    pred = clf.predict(xte)
    secs = time.time() - t
    acc = sum(p == y for p, y in zip(pred, yte)) / len(yte)
    print(f"  scikit-learn TF-IDF + LinearSVC: accuracy {acc:.3f}  macro-F1 {macro_f1(yte, pred):.3f}  fit+predict {secs:.1f} s")

    try:
        import fasttext
    except ImportError as e:
        print(f"  fastText not run: {e}")
        return
    t = time.time()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        for x, y in zip(xtr, ytr):
            f.write(f"__label__{y} " + " ".join(x.split()) + "\n")
        path = f.name
    model = fasttext.train_supervised(path, epoch=25, lr=0.5, wordNgrams=2, minn=2, maxn=5, dim=50, verbose=0, thread=2)
    pred = [model.predict(" ".join(x.split()))[0][0].replace("__label__", "") for x in xte]
    secs = time.time() - t
    os.unlink(path)
    acc = sum(p == y for p, y in zip(pred, yte)) / len(yte)
    print(f"  fastText: accuracy {acc:.3f}  macro-F1 {macro_f1(yte, pred):.3f}  fit+predict {secs:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
