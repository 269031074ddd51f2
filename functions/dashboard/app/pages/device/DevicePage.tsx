// Placeholder until the page lands (issue 9).
export const DevicePage = (_props: Record<string, unknown>) => <h1>DevicePage</h1>;
