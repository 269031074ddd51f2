// Placeholder until the page lands (issue 9).
export const DirectoryPage = (_props: Record<string, unknown>) => <h1>DirectoryPage</h1>;
