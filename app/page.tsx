export default function Home() {
  return (
    <main>
      <h1>TTP Rule Console</h1>
      <p>The dashboard is not built yet. Use the <code>ttp</code> CLI (see the README).</p>
    </main>
  );
}
