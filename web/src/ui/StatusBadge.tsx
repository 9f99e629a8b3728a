import { useI18n } from '../i18n/I18n';
import type { MessageKey } from '../i18n/messages';

const KNOWN = ['draft', 'running', 'paused', 'completed', 'failed'];

export function StatusBadge({ status }: { status: string }) {
  const { t } = useI18n();
  const known = KNOWN.includes(status);
  return <span className={`badge badge-${known ? status : 'unknown'}`}>{known ? t(`status.${status}` as MessageKey) : status}</span>;
}
