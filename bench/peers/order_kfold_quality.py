# Peer: model quality by K-fold over ORDER folds of a wide orders CSV — the K-fold version of
# order_split_quality.py (same aggregation, scaling, noise floor and models), so orderflow's candidates and the
# peers are scored on the very same folds.
# Fold of an order: md5(order_id as written, quotes stripped).digest()[BYTE] % 5; fold f holds out the orders
# whose fold is f and trains on the others. BYTE 0 is orderflow's order bucket (the rule of `train --folds`);
# a file that is itself the training part of a bucket-0 split has no order in bucket 0, so that fold is skipped
# (and said so); BYTE 1 is an independent rule with five non-empty folds on such a file.
# Prints per fold: "fold F orders train N test M floor X" and "fold F MODEL rmse R train_ms T".
# Usage: python order_kfold_quality.py ORDERS.csv [BYTE]
import sys, time, hashlib
import numpy as np, pandas as pd
from sklearn.ensemble import RandomForestRegressor
import lightgbm as lgb

df = pd.read_csv(sys.argv[1])
byte = int(sys.argv[2]) if len(sys.argv) > 2 else 0
meta = ['order_id', 'order_dow', 'order_hour_of_day', 'days_since_prior_order']
cats = [c for c in df.columns if c not in meta]
df['order_dow'] = df['order_dow'].astype(int)
df['order_hour_of_day'] = df['order_hour_of_day'].astype(int)
fold_of = np.array([hashlib.md5(str(o).encode()).digest()[byte] % 5 for o in df.order_id])
grid = pd.MultiIndex.from_product([range(7), range(24)], names=['d', 'h'])
index = {c: i for i, c in enumerate(cats)}

def dense(frame, values):
    w = values.groupby([frame.order_dow, frame.order_hour_of_day]).sum()
    w.index.names = ['d', 'h']
    w = w.reindex(grid, fill_value=0)
    s = w.stack(); s.index.names = ['d', 'h', 'c']
    return s.reset_index(name='y')

def features(d, one_hot):
    if not one_hot:
        return np.c_[d.d, d.h, d.c.map(index)].astype(float)
    m = np.zeros((len(d), 2 + len(cats)))
    m[:, 0], m[:, 1] = d.d, d.h
    m[np.arange(len(d)), 2 + d.c.map(index).to_numpy()] = 1
    return m

squares_total = float(dense(df, df[cats] ** 2).y.sum())
cells = 7 * 24 * len(cats)
for f in range(5):
    test = fold_of == f
    if test.sum() == 0:
        print(f"fold {f} empty (no order has md5 byte {byte} % 5 == {f})")
        continue
    tr, te = dense(df[~test], df.loc[~test, cats]), dense(df[test], df.loc[test, cats])
    scale = test.sum() / (~test).sum()
    floor = float(np.sqrt(squares_total * test.mean() / cells))
    yt = te.y.to_numpy(float)
    rmse = lambda p: float(np.sqrt(np.mean((np.asarray(p) * scale - yt) ** 2)))
    print(f"fold {f} orders train {(~test).sum()} test {test.sum()} floor {floor:.6f}")
    t = tr.y.sum(); dh = tr.groupby(['d', 'h']).y.transform('sum'); c = tr.groupby('c').y.transform('sum')
    print(f"fold {f} independence rmse {rmse(dh * c / t):.6f} train_ms 0")
    for one_hot in (False, True):
        X, Xt = features(tr, one_hot), features(te, one_hot)
        for name, model in [('RandomForest', RandomForestRegressor(n_estimators=20, max_depth=10, random_state=42, n_jobs=1)),
                            ('LightGBM', lgb.LGBMRegressor(n_estimators=300, learning_rate=0.05, verbose=-1)),
                            ('LightGBM-poisson', lgb.LGBMRegressor(objective='poisson', n_estimators=300, learning_rate=0.05, verbose=-1))]:
            s = time.perf_counter(); model.fit(X, tr.y); ms = (time.perf_counter() - s) * 1000
            print(f"fold {f} {name}({'one-hot' if one_hot else 'index'}) rmse {rmse(model.predict(Xt)):.6f} train_ms {ms:.0f}")
