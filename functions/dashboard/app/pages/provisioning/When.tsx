/** An instant in the reader's locale and zone; the exact ISO time in the title and `dateTime`. */
export const When = ({ iso }: { iso: string | undefined }) => {
  if (!iso) return <span>—</span>;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return <span>{iso}</span>;
  return (
    <time dateTime={iso} title={iso}>
      {date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })}
    </time>
  );
};
