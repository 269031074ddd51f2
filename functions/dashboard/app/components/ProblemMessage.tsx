import { ApiProblem } from '../api.ts';

/**
 * An error as the user should read it: the server's problem+json title and detail, and each field
 * it names with the rule broken; anything else as its message. `role="alert"` so screen readers say it.
 */
export const ProblemMessage = ({ error }: { error: unknown }) => {
  if (error === undefined || error === null) return null;
  if (error instanceof ApiProblem) {
    const { problem, status } = error;
    return (
      <div className="problem" role="alert" data-status={status}>
        <strong>{problem.title ?? `Request failed (${status})`}</strong>
        {problem.detail ? <p>{problem.detail}</p> : null}
        {problem.errors && problem.errors.length > 0 ? (
          <ul>
            {problem.errors.map((e, i) => (
              <li key={i}>
                {e.field ?? e.path ? <code>{e.field ?? e.path}</code> : null} {e.message ?? e.rule}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    );
  }
  return (
    <div className="problem" role="alert">
      <strong>Something went wrong</strong>
      <p>{error instanceof Error ? error.message : JSON.stringify(error)}</p>
    </div>
  );
};
