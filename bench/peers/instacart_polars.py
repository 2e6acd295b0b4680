# Peer: Polars aggregation of a relational Instacart folder (lazy scan, join, group by): the same output as
# instacart_duckdb.py. Prints `rows N ms T`.
import sys, time, os
import polars as pl
t = time.perf_counter()
d = sys.argv[1]
out = sys.argv[2] if len(sys.argv) > 2 else None
items = pl.concat([pl.scan_csv(os.path.join(d, f), schema_overrides={'order_id': pl.Int64, 'product_id': pl.Int64})
                   for f in ['order_products__prior.csv', 'order_products__train.csv']])
orders = pl.scan_csv(os.path.join(d, 'orders.csv')).select('order_id', 'order_dow', 'order_hour_of_day')
products = pl.scan_csv(os.path.join(d, 'products.csv')).select('product_id', 'aisle_id')
aisles = pl.scan_csv(os.path.join(d, 'aisles.csv'))
r = (items.select('order_id', 'product_id')
     .join(orders, on='order_id').join(products, on='product_id').join(aisles, on='aisle_id')
     .group_by(pl.col('order_dow').alias('day_of_week'), pl.col('order_hour_of_day').alias('hour_of_day'),
               pl.col('aisle').alias('category'))
     .agg(pl.len().alias('items_count'))
     .sort('day_of_week', 'hour_of_day', 'category')
     .collect())
if out:
    r.write_csv(out)
print('rows', r.height, 'ms', round((time.perf_counter() - t) * 1000))
