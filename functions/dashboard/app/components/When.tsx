import { formatLocal } from './localTime.ts';

/**
 * An instant in the reader's locale and zone (the one way every page shows a time); the exact ISO
 * time is in the title (a tooltip) and the `dateTime`. Text that is not a time is shown as given.
 */
export const When = ({ iso }: { iso: string | undefined }) => {
  if (!iso) return <span>—</span>;
  return (
    <time dateTime={iso} title={iso}>
      {formatLocal(iso)}
    </time>
  );
};
