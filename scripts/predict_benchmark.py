#!/usr/bin/env python3
"""Held-out-sample R² of `grn fit`/`grn predict` against three baselines
(docs/predict.md): 5-fold cross-validation over samples (sample i in fold i % 5).

usage: predict_benchmark.py GRN_BINARY NAME EXPR GOLD [TFS] [MODEL...]
Baselines: the training mean; ridge on all regulators (the TFs if given, else
every other gene; penalty by GCV per target on a 30-point grid); k-nearest-
neighbour regression (k = 10, Euclidean on the standardised regulators).
Per-gene R² (1 - SSE/SST on the test fold) is averaged over folds; printed are
quantiles over the genes that have regulators in GOLD."""
import gzip, subprocess, sys, tempfile, os
import numpy as np

def read(path):
    op = gzip.open if path.endswith('.gz') else open
    with op(path, 'rt') as f:
        header = [h.strip('"') for h in f.readline().rstrip('\n').split('\t')]
        rows = [l.rstrip('\n').split('\t') for l in f if l.strip()]
    if len(rows[0]) == len(header) + 1:
        rows = [r[1:] for r in rows]
    return header, np.array(rows, dtype=float)

def write(path, genes, x):
    with open(path, 'w') as f:
        f.write('\t'.join(genes) + '\n')
        for r in x:
            f.write('\t'.join(repr(float(v)) for v in r) + '\n')

def r2(y, p):
    sst = ((y - y.mean()) ** 2).sum()
    return np.nan if sst == 0 else 1 - ((y - p) ** 2).sum() / sst

def ridge_gcv(xtr, ytr, xte):
    mu, sd = xtr.mean(0), xtr.std(0)
    sd[sd == 0] = 1
    a, b = (xtr - mu) / sd, (xte - mu) / sd
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    ym = ytr.mean(0)
    uy = u.T @ (ytr - ym)
    n = len(ytr)
    best, pred = None, None
    for alpha in n * np.logspace(-4, 2, 30):
        sh = s ** 2 / (s ** 2 + alpha)
        rss = ((ytr - ym) ** 2).sum(0) - (uy ** 2).sum(0) + (((1 - sh)[:, None] * uy) ** 2).sum(0)
        gcv = rss / (n - 1 - sh.sum()) ** 2
        if best is None:
            best, pred = gcv, np.zeros((len(xte), ytr.shape[1]))
        coef = vt.T @ ((s / (s ** 2 + alpha))[:, None] * uy)
        p = ym + b @ coef
        better = gcv <= best
        best = np.where(better, gcv, best)
        pred[:, better] = p[:, better]
    return pred

def main():
    grn, name, expr, gold = sys.argv[1:5]
    rest = sys.argv[5:]
    tfs = None
    if rest and os.path.exists(rest[0]):
        tfs = [l.strip() for l in open(rest[0]) if l.strip()]
        rest = rest[1:]
    models = rest or ['linear']
    genes, x = read(expr)
    idx = {g: i for i, g in enumerate(genes)}
    edges = [l.rstrip('\n').split('\t') for l in open(gold)]
    targets = sorted({idx[e[1]] for e in edges
                      if len(e) > 1 and e[0] in idx and e[1] in idx
                      and (len(e) < 3 or e[2] not in ('0', 'score'))})
    n = len(x)
    fold = np.arange(n) % 5
    scores = {m: [] for m in ['mean', 'ridge_all', 'knn'] + models}
    tmp = tempfile.mkdtemp()
    reg_idx = [idx[t] for t in tfs if t in idx] if tfs else list(range(len(genes)))
    for f in range(5):
        tr, te = x[fold != f], x[fold == f]
        write(f'{tmp}/train.tsv', genes, tr)
        write(f'{tmp}/test.tsv', genes, te)
        for m in models:
            subprocess.run([grn, '-q', 'fit', '--model', m, '-e', f'{tmp}/train.tsv', '-n', gold,
                            '-o', f'{tmp}/m.grnm'], check=True)
            subprocess.run([grn, '-q', 'predict', '--model-file', f'{tmp}/m.grnm', '-e',
                            f'{tmp}/test.tsv', '--truth', f'{tmp}/test.tsv', '--report',
                            f'{tmp}/rep.tsv', '-o', f'{tmp}/p.tsv'], check=True,
                           stdout=subprocess.DEVNULL)
            rep = [l.rstrip('\n').split('\t') for l in open(f'{tmp}/rep.tsv')]
            col = rep[0].index('r2')
            by = {r[0]: float(r[col]) if r[col] != 'NA' else np.nan for r in rep[1:]}
            scores[m].append([by.get(genes[t], np.nan) for t in targets])
        scores['mean'].append([r2(te[:, t], np.full(len(te), tr[:, t].mean())) for t in targets])
        # Ridge on all regulators: targets that are regulators leave themselves out.
        ridge = {}
        inside = [t for t in targets if t in set(reg_idx)]
        outside = [t for t in targets if t not in set(reg_idx)]
        if outside:
            p = ridge_gcv(tr[:, reg_idx], tr[:, outside], te[:, reg_idx])
            ridge.update({t: p[:, k] for k, t in enumerate(outside)})
        for t in inside:
            cols = [r for r in reg_idx if r != t]
            ridge[t] = ridge_gcv(tr[:, cols], tr[:, [t]], te[:, cols])[:, 0]
        scores['ridge_all'].append([r2(te[:, t], ridge[t]) for t in targets])
        mu, sd = tr[:, reg_idx].mean(0), tr[:, reg_idx].std(0)
        sd[sd == 0] = 1
        a, b = (tr[:, reg_idx] - mu) / sd, (te[:, reg_idx] - mu) / sd
        d2 = (b ** 2).sum(1)[:, None] + (a ** 2).sum(1)[None, :] - 2 * b @ a.T
        pos = {r: k for k, r in enumerate(reg_idx)}
        knn = []
        for t in targets:
            d = d2
            if t in pos:
                k = pos[t]
                d = d2 - (b[:, [k]] - a[:, k][None, :]) ** 2
            nn = np.argsort(d, axis=1, kind='stable')[:, :10]
            knn.append(r2(te[:, t], tr[nn, t].mean(1)))
        scores['knn'].append(knn)
    print(f'{name}: {n} samples, {len(genes)} genes, {len(targets)} targets with regulators; '
          f'ridge_all/knn on {len(reg_idx)} regulators')
    print('model\tmean_r2\tq10\tq25\tmedian\tq75\tq90')
    for m, v in scores.items():
        g = np.nanmean(np.array(v), axis=0)
        q = np.nanquantile(g, [0.1, 0.25, 0.5, 0.75, 0.9])
        print(m + '\t' + '\t'.join(f'{v:.3f}' for v in [np.nanmean(g), *q]))

main()
