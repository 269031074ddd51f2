// Placeholder until the page lands (issue 9).
export const AuditPage = (_props: Record<string, unknown>) => <h1>AuditPage</h1>;
