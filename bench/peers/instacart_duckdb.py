# Peer: DuckDB (Python) aggregation of a relational Instacart folder: join order_products (prior + train) to
# orders and products/aisles, count line items per (day, hour, aisle). Writes the sorted output CSV
# (day_of_week,hour_of_day,category,items_count) and prints `rows N ms T`.
import sys, time, os
import duckdb
t = time.perf_counter()
d = sys.argv[1]
out = sys.argv[2] if len(sys.argv) > 2 else '/dev/null'
con = duckdb.connect()
items = ', '.join(f"'{os.path.join(d, f)}'" for f in ['order_products__prior.csv', 'order_products__train.csv'])
q = f"""
SELECT o.order_dow::INTEGER AS day_of_week, o.order_hour_of_day::INTEGER AS hour_of_day, a.aisle AS category, count(*) AS items_count
FROM read_csv([{items}], header = true) op
JOIN read_csv('{d}/orders.csv', header = true) o USING (order_id)
JOIN read_csv('{d}/products.csv', header = true, quote = '"', escape = '"') p USING (product_id)
JOIN read_csv('{d}/aisles.csv', header = true) a ON a.aisle_id = p.aisle_id
GROUP BY ALL ORDER BY day_of_week, hour_of_day, category"""
con.execute(f"CREATE TABLE r AS {q}")
con.execute(f"COPY (SELECT * FROM r ORDER BY ALL) TO '{out}' (HEADER)")
n = con.execute("SELECT count(*) FROM r").fetchone()[0]
print('rows', n, 'ms', round((time.perf_counter() - t) * 1000))
