import { formatLocal } from './localTime.ts';

/** An instant in the reader's locale; the exact ISO time is in the title and the `dateTime`. */
export const When = ({ iso }: { iso: string | undefined }) => {
  if (!iso) return <span>—</span>;
  return (
    <time dateTime={iso} title={iso}>
      {formatLocal(iso)}
    </time>
  );
};
