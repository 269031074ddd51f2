// Placeholder until the page lands (issue 9).
export const RejectionsPage = (_props: Record<string, unknown>) => <h1>RejectionsPage</h1>;
