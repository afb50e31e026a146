import type pg from "pg";

/**
 * Runs `fn` in a transaction on a client of its own. The checked-out client gets an 'error'
 * listener (a backend terminated between two statements must not crash the process with an
 * unhandled 'error' event, as drizzle's and pg's own helpers allow), and a client whose
 * connection broke, or whose ROLLBACK failed, is destroyed instead of returned to the pool.
 * Errors are rethrown as they come; callers map them.
 */
export async function withPgTransaction<T>(pool: pg.Pool, begin: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error): void => {
    broken = err;
  };
  client.on("error", onError);
  try {
    await client.query(begin);
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    try {
      await client.query("ROLLBACK");
    } catch (rollbackErr) {
      broken ??= rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
    }
    throw err;
  } finally {
    client.off("error", onError);
    client.release(broken);
  }
}
