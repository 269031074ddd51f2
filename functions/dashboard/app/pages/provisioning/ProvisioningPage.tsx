// Placeholder until the page lands (issue 9).
export const ProvisioningPage = (_props: Record<string, unknown>) => <h1>ProvisioningPage</h1>;
