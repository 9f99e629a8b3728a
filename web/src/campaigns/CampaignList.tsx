// The multi-step campaigns list (SPEC §6): search, filters and sort in the URL, cursor paging,
// configurable columns and each row's "More actions" menu.
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  Button,
  Cell,
  Checkbox,
  CheckboxGroup,
  Column,
  Dialog,
  DialogTrigger,
  Heading,
  Input,
  Label,
  ListBox,
  ListBoxItem,
  Menu,
  MenuItem,
  MenuTrigger,
  Modal,
  ModalOverlay,
  Popover,
  Row,
  SearchField,
  Select,
  SelectValue,
  Table,
  TableBody,
  TableHeader,
  TextField,
  type Selection,
  type SortDescriptor,
} from 'react-aria-components';
import { api, ApiError, unwrap, type Campaign, type CampaignList as ListPage } from '../api/client';
import { subscribe } from '../app/events';
import { navigate, useLocation } from '../app/router';
import { useI18n } from '../i18n/I18n';
import type { MessageKey } from '../i18n/messages';
import { StatusBadge } from '../ui/StatusBadge';
import type { Action } from './actions';
import { RowMenu, useCampaignActions } from './CampaignActions';
import { COLUMN_LABEL, COLUMN_SORT, CONFIGURABLE, columnOfSort, type ColumnId } from './columns';
import {
  STATUSES,
  defaultOrder,
  hasFilters,
  listStateToSearch,
  parseListState,
  toCampaignQuery,
  withFilter,
  type ListState,
  type Status,
} from './listState';
import { useColumns } from './usePreferences';

const PAGE = 50;
const NO_ITEMS: Campaign[] = [];

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = window.setTimeout(() => setV(value), ms);
    return () => window.clearTimeout(id);
  }, [value, ms]);
  return v;
}

interface Dimension {
  name: string;
}

function useDimensions(): Dimension[] {
  const [dims, setDims] = useState<Dimension[]>([]);
  useEffect(() => {
    let live = true;
    api
      .GET('/dimensions')
      .then((r) => {
        if (!live || !r.data) return;
        setDims(r.data.dimensions.map((x) => ({ name: x.name })));
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);
  return dims;
}

export function CampaignList() {
  const { t, num } = useI18n();
  const { search } = useLocation();
  const state = useMemo(() => parseListState(search), [search]);
  const [columns, setColumns] = useColumns();
  const dims = useDimensions();
  const [page, setPage] = useState<ListPage | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  // The cursors of the pages before this one, as the user went through them with Next; the page
  // number is known only for the cursor Next/Previous led to (a bookmarked or history cursor
  // shows the total alone).
  const prevCursors = useRef<string[]>([]);
  const pagedTo = useRef('');

  const go = useCallback((s: ListState, replace = false) => navigate(`${window.location.pathname}${listStateToSearch(s)}`, { replace }), []);

  // Search and the parent-campaign field update the URL as the user types (debounced).
  const [q, setQ] = useState(state.q);
  const [parent, setParent] = useState(state.campaign);
  useEffect(() => setQ(state.q), [state.q]);
  useEffect(() => setParent(state.campaign), [state.campaign]);
  const dq = useDebounced(q, 250);
  const dparent = useDebounced(parent, 400);
  useEffect(() => {
    if (dq !== state.q) {
      prevCursors.current = [];
      go(withFilter(state, { q: dq }), true);
    }
    // state is read at the time of the change only
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [dq]);
  useEffect(() => {
    if (dparent !== state.campaign) {
      prevCursors.current = [];
      go(withFilter(state, { campaign: dparent }), true);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [dparent]);

  const query = useMemo(() => toCampaignQuery(state, PAGE), [state]);
  const queryKey = JSON.stringify(query);
  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    api
      .GET('/campaigns', { params: { query }, signal: ctl.signal })
      .then((r) => {
        setPage(unwrap(r));
        setLoadError(null);
      })
      .catch((e: unknown) => {
        if (ctl.signal.aborted) return;
        if (e instanceof ApiError && e.status === 401) return; // the sign-in form takes over
        setLoadError(e instanceof ApiError ? e.message : t('error.network'));
      })
      .finally(() => {
        if (!ctl.signal.aborted) setLoading(false);
      });
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [queryKey, reload]);

  // Live: a campaign's new status shows at once on its row, then the page is read again
  // (its run times changed too, and a filtered view may gain or lose the row).
  useEffect(() => {
    let timer = 0;
    const off = subscribe((e) => {
      if (e.type !== 'campaign' || e.campaign_id === null) return;
      const status = e.status;
      setPage((p) =>
        p && typeof status === 'string'
          ? { ...p, items: p.items.map((c) => (c.id === e.campaign_id ? { ...c, status: status as Campaign['status'] } : c)) }
          : p,
      );
      window.clearTimeout(timer);
      timer = window.setTimeout(() => setReload((n) => n + 1), 400);
    });
    return () => {
      off();
      window.clearTimeout(timer);
    };
  }, []);

  // The table is memoized: typing in the search box or a loading flag must not re-render 50
  // rows, so its props are stable (handlers read the latest state through a ref).
  const stateRef = useRef(state);
  stateRef.current = state;
  const sortColumn = columnOfSort(state.sort);
  const sortDescriptor = useMemo<SortDescriptor | undefined>(
    () => (sortColumn ? { column: sortColumn, direction: state.order === 'asc' ? 'ascending' : 'descending' } : undefined),
    [sortColumn, state.order],
  );
  const onSortChange = useCallback((d: SortDescriptor) => {
    const state = stateRef.current;
    const sort = COLUMN_SORT[d.column as ColumnId];
    if (!sort) return;
    // A new column starts in its natural order; the same column flips.
    const order = sort === state.sort ? (state.order === 'asc' ? 'desc' : 'asc') : defaultOrder(sort);
    prevCursors.current = [];
    go(withFilter(state, { sort, order }));
  }, [go]);

  // Row actions (with their confirmations and the API's refusals), then the page is read again.
  const { onAction, dialog } = useCampaignActions(() => setReload((n) => n + 1));

  const items = page?.items ?? NO_ITEMS;
  const pageIndex = !state.cursor ? 0 : state.cursor === pagedTo.current ? prevCursors.current.length : -1;

  const from = pageIndex * PAGE + 1;
  const to = pageIndex * PAGE + items.length;

  return (
    <div className="list">
      <div className="toolbar" role="search">
        <SearchField className="search" value={q} onChange={setQ} aria-label={t('list.search')}>
          <Input placeholder={t('list.searchPlaceholder')} />
          <Button className="search-clear" aria-label="×">
            ×
          </Button>
        </SearchField>
        <StatusFilter
          value={state.status}
          onChange={(status) => {
            prevCursors.current = [];
            go(withFilter(state, { status }));
          }}
        />
        <Select
          className="select"
          aria-label={t('list.dimension')}
          selectedKey={state.dimension || '*'}
          onSelectionChange={(k) => {
            prevCursors.current = [];
            go(withFilter(state, { dimension: k === '*' || k === null ? '' : String(k) }));
          }}
        >
          <Button className="btn btn-field">
            <SelectValue />
            <span aria-hidden="true" className="chevron">
              ▾
            </span>
          </Button>
          <Popover className="popover">
            <ListBox className="listbox">
              <ListBoxItem id="*" className="option">
                {t('list.allDimensions')}
              </ListBoxItem>
              {(dims.some((d) => d.name === state.dimension) || !state.dimension ? dims : [...dims, { name: state.dimension }]).map((d) => (
                <ListBoxItem key={d.name} id={d.name} className="option">
                  {d.name}
                </ListBoxItem>
              ))}
            </ListBox>
          </Popover>
        </Select>
        <TextField className="field field-inline" value={parent} onChange={setParent}>
          <Label>{t('list.parent')}</Label>
          <Input />
        </TextField>
        <div className="field-inline date-range" role="group" aria-labelledby="processed-label">
          <span id="processed-label" className="field-label">
            {t('list.processed')}
          </span>
          <TextField
            type="date"
            aria-label={t('list.processedFrom')}
            value={state.from}
            onChange={(from) => {
              prevCursors.current = [];
              go(withFilter(state, { from }));
            }}
          >
            <Input />
          </TextField>
          <span aria-hidden="true">–</span>
          <TextField
            type="date"
            aria-label={t('list.processedTo')}
            value={state.to}
            onChange={(to) => {
              prevCursors.current = [];
              go(withFilter(state, { to }));
            }}
          >
            <Input />
          </TextField>
        </div>
        {hasFilters(state) && (
          <Button
            className="btn btn-quiet"
            onPress={() => {
              prevCursors.current = [];
              setQ('');
              setParent('');
              go({ ...parseListState(''), sort: state.sort, order: state.order });
            }}
          >
            {t('list.clearFilters')}
          </Button>
        )}
        <span className="spacer" />
        <ConfigureColumns value={columns} onChange={setColumns} />
      </div>

      {loadError && (
        <p className="notice notice-error" role="alert">
          {t('error.title', { message: loadError })}
        </p>
      )}

      <div className="table-wrap" aria-busy={loading}>
        <CampaignTable
          items={items}
          columns={columns}
          sortDescriptor={sortDescriptor}
          onSortChange={onSortChange}
          onAction={onAction}
          emptyText={items.length ? '' : loading ? t('app.loading') : hasFilters(state) ? t('list.empty') : t('list.emptyAll')}
        />
      </div>

      <nav className="pager" aria-label={t('list.paging')}>
        <span className="pager-count">
          {page
            ? items.length && pageIndex >= 0
              ? t('list.range', { from: num(from), to: num(to), total: num(page.total) })
              : t('list.count', { count: num(page.total) })
            : ''}
        </span>
        <Button
          className="btn btn-secondary"
          isDisabled={!state.cursor}
          onPress={() => {
            const prev = pageIndex > 0 ? (prevCursors.current.pop() ?? '') : '';
            pagedTo.current = prev;
            go({ ...state, cursor: prev });
          }}
        >
          {t('list.previous')}
        </Button>
        <Button
          className="btn btn-secondary"
          isDisabled={!page?.next_cursor}
          onPress={() => {
            if (!page?.next_cursor) return;
            if (pageIndex === 0) prevCursors.current = [];
            prevCursors.current.push(state.cursor);
            pagedTo.current = pageIndex < 0 ? '' : page.next_cursor; // from an unknown page, still unknown
            go({ ...state, cursor: page.next_cursor });
          }}
        >
          {t('list.next')}
        </Button>
      </nav>

      {dialog}
    </div>
  );
}

const CampaignTable = memo(function CampaignTable(props: {
  items: Campaign[];
  columns: ColumnId[];
  sortDescriptor: SortDescriptor | undefined;
  onSortChange: (d: SortDescriptor) => void;
  onAction: (a: Action, c: Pick<Campaign, 'id' | 'name' | 'status'>) => void;
  emptyText: string;
}) {
  const { t, date, lang } = useI18n();
  const { items, columns } = props;
  return (
    <Table aria-label={t('list.table')} className="table" sortDescriptor={props.sortDescriptor} onSortChange={props.onSortChange}>
      <TableHeader>
        {columns.map((col) => (
          <Column key={col} id={col} isRowHeader={col === 'name'} allowsSorting={!!COLUMN_SORT[col]} className={`col col-${col}`}>
            {({ sortDirection }) => (
              <span className="col-head">
                {t(COLUMN_LABEL[col])}
                {sortDirection && (
                  <span aria-hidden="true" className="sort-arrow">
                    {sortDirection === 'ascending' ? '▲' : '▼'}
                  </span>
                )}
              </span>
            )}
          </Column>
        ))}
        <Column id="actions" className="col col-actions">
          <span className="visually-hidden">{t('col.actions')}</span>
        </Column>
      </TableHeader>
      <TableBody items={items} dependencies={[lang, columns]} renderEmptyState={() => props.emptyText}>
        {(c) => (
          <Row id={c.id} className="row">
            {columns.map((col) => (
              <Cell key={col} className={`cell cell-${col}`}>
                {cell(col, c, date)}
              </Cell>
            ))}
            <Cell className="cell cell-actions">
              <RowMenu c={c} onAction={props.onAction} />
            </Cell>
          </Row>
        )}
      </TableBody>
    </Table>
  );
});

function cell(col: ColumnId, c: Campaign, date: (iso: string | null | undefined) => string) {
  switch (col) {
    case 'name':
      return (
        <div className="cell-name">
          <a
            href={`/campaigns/${c.id}`}
            onClick={(e) => {
              if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
              e.preventDefault();
              navigate(`/campaigns/${c.id}`);
            }}
          >
            {c.name}
          </a>
          {c.description && <span className="cell-sub">{c.description}</span>}
        </div>
      );
    case 'status':
      return <StatusBadge status={c.status} />;
    case 'last_run':
      return date(c.last_run_at);
    case 'updated':
      return date(c.updated_at);
    case 'next_run':
      return date(c.next_run_at);
    case 'created':
      return date(c.created_at);
    case 'last_error':
      return c.last_error_activity ? (
        <a
          className="error-link"
          href={`/campaigns/${c.id}?activity=${encodeURIComponent(c.last_error_activity)}`}
          onClick={(e) => {
            e.preventDefault();
            navigate(`/campaigns/${c.id}?activity=${encodeURIComponent(c.last_error_activity ?? '')}`);
          }}
        >
          {c.last_error_activity}
        </a>
      ) : (
        ''
      );
    case 'dimension':
      return c.targeting_dimension ?? '';
    case 'parent':
      return c.campaign ?? '';
    case 'tags':
      return (
        <span className="tags">
          {c.tags.map((tag) => (
            <span key={tag} className="tag">
              {tag}
            </span>
          ))}
        </span>
      );
    default: {
      const never: never = col;
      return String(never);
    }
  }
}


function StatusFilter({ value, onChange }: { value: Status[]; onChange: (s: Status[]) => void }) {
  const { t } = useI18n();
  const label = value.length ? value.map((s) => t(`status.${s}` as MessageKey)).join(', ') : t('list.allStatuses');
  return (
    <MenuTrigger>
      <Button className="btn btn-field">
        <span className="field-prefix">{t('list.status')}</span>{' '}
        <span className="field-value">{label}</span>
        <span aria-hidden="true" className="chevron">
          ▾
        </span>
      </Button>
      <Popover className="popover">
        <Menu
          className="menu"
          aria-label={t('list.status')}
          selectionMode="multiple"
          selectedKeys={new Set(value)}
          onSelectionChange={(keys: Selection) => {
            const all = keys === 'all' ? [...STATUSES] : STATUSES.filter((s) => keys.has(s));
            onChange(all);
          }}
        >
          {STATUSES.map((s) => (
            <MenuItem key={s} id={s} className="menu-item menu-item-check">
              {({ isSelected }) => (
                <>
                  <span className="check" aria-hidden="true">
                    {isSelected ? '✓' : ''}
                  </span>
                  <span className={`dot dot-${s}`} aria-hidden="true" />
                  {t(`status.${s}` as MessageKey)}
                </>
              )}
            </MenuItem>
          ))}
        </Menu>
      </Popover>
    </MenuTrigger>
  );
}

function ConfigureColumns({ value, onChange }: { value: ColumnId[]; onChange: (c: ColumnId[]) => void }) {
  const { t } = useI18n();
  return (
    <DialogTrigger>
      <Button className="btn btn-icon btn-columns" aria-label={t('list.configure')}>
        <svg viewBox="0 0 18 18" width="18" height="18" aria-hidden="true">
          <path d="M2 3h14v12H2zM7 3v12M12 3v12" fill="none" stroke="currentColor" strokeWidth="1.5" />
        </svg>
      </Button>
      <ModalOverlay className="overlay" isDismissable>
        <Modal className="modal">
          <Dialog className="dialog">
            {({ close }) => (
              <>
                <Heading slot="title">{t('columns.title')}</Heading>
                <p className="dialog-help">{t('columns.help')}</p>
                <CheckboxGroup
                  className="checks"
                  aria-label={t('columns.title')}
                  value={value.filter((c) => c !== 'name')}
                  onChange={(v) => onChange(['name', ...(v as ColumnId[])])}
                >
                  {CONFIGURABLE.map((c) => (
                    <Checkbox key={c} value={c} className="checkbox">
                      <span className="checkbox-box" aria-hidden="true" />
                      {t(COLUMN_LABEL[c])}
                    </Checkbox>
                  ))}
                </CheckboxGroup>
                <div className="dialog-buttons">
                  <Button className="btn btn-cta" onPress={close}>
                    {t('columns.done')}
                  </Button>
                </div>
              </>
            )}
          </Dialog>
        </Modal>
      </ModalOverlay>
    </DialogTrigger>
  );
}
