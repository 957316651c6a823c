/** The empty state says exactly how to connect an agent to this server. */
export function NoAgents() {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${window.location.host}`;
  return (
    <section className="empty" data-testid="no-agents">
      <h2>No agents yet</h2>
      <p>Connect one from any machine that can reach this server; it appears here as soon as it connects:</p>
      <pre className="snippet">
        <code>
          {`onsembl token --role agent --name my-agent   # on the server's machine\n`}
          {`onsembl agent --url ${url} --token <TOKEN> --name my-agent`}
        </code>
      </pre>
    </section>
  );
}
