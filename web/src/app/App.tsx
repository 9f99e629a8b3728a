// The shell: the top bar (language, user, sign-out) and the page of the current URL. When the
// session is missing or expires, the sign-in form replaces the page; the URL stays, so the user
// comes back to the same page (with the same filters) after signing in.
import { lazy, Suspense, useEffect } from 'react';
import { Button, Key, ListBox, ListBoxItem, Popover, Select, SelectValue, Tab, TabList, TabPanel, Tabs } from 'react-aria-components';
import { checkSession, signOut, useSession } from '../auth/session';
import { SignIn } from '../auth/SignIn';
import { CampaignList } from '../campaigns/CampaignList';
import { CreateCampaign } from '../campaigns/CreateCampaign';
import { useI18n } from '../i18n/I18n';
import type { Lang } from '../i18n/messages';
import { TemplateList } from '../templates/TemplateList';
import { NoticesProvider } from '../ui/Notices';
import { matchRoute, navigate, useLocation } from './router';

// The canvas (React Flow, the layout engine) loads only on a campaign's page.
const CampaignPage = lazy(() => import('../canvas/CampaignPage'));
// The editor (React Flow, dagre and the forms) loads only when a campaign is edited.
const EditorPage = lazy(() => import('../editor/Editor'));

const LANG_NAMES: Record<Lang, string> = { en: 'English', fr: 'Français' };

function LanguagePicker() {
  const { lang, setLang, t } = useI18n();
  return (
    <Select className="select select-quiet" aria-label={t('app.language')} selectedKey={lang} onSelectionChange={(k: Key | null) => k && setLang(k as Lang)}>
      <Button className="btn btn-field btn-quiet-field">
        <SelectValue />
        <span aria-hidden="true" className="chevron">
          ▾
        </span>
      </Button>
      <Popover className="popover">
        <ListBox className="listbox">
          {(Object.keys(LANG_NAMES) as Lang[]).map((l) => (
            <ListBoxItem key={l} id={l} className="option" lang={l}>
              {LANG_NAMES[l]}
            </ListBoxItem>
          ))}
        </ListBox>
      </Popover>
    </Select>
  );
}

function TopBar() {
  const { t } = useI18n();
  const session = useSession();
  return (
    <header className="topbar">
      <a
        className="brand"
        href="/"
        onClick={(e) => {
          e.preventDefault();
          navigate('/');
        }}
      >
        <span className="brand-mark" aria-hidden="true" />
        {t('app.name')}
      </a>
      <span className="spacer" />
      <LanguagePicker />
      {session.status === 'signedIn' && (
        <>
          {session.username && <span className="user">{t('app.signedInAs', { user: session.username })}</span>}
          <Button className="btn btn-quiet" onPress={() => void signOut()}>
            {t('app.signOut')}
          </Button>
        </>
      )}
    </header>
  );
}

function ListsPage({ tab }: { tab: 'campaigns' | 'templates' }) {
  const { t } = useI18n();
  return (
    <main className="page">
      <div className="page-head">
        <h1>{t('list.title')}</h1>
        <span className="spacer" />
        <a
          className="btn btn-secondary"
          href="/campaigns/new"
          onClick={(e) => {
            e.preventDefault();
            navigate('/campaigns/new');
          }}
        >
          {t('list.design')}
        </a>
        <CreateCampaign />
      </div>
      <Tabs className="tabs" selectedKey={tab} onSelectionChange={(k) => navigate(k === 'templates' ? '/templates' : '/')}>
        <TabList className="tablist" aria-label={t('list.tabs')}>
          <Tab id="campaigns" className="tab">
            {t('list.tab.campaigns')}
          </Tab>
          <Tab id="templates" className="tab">
            {t('list.tab.templates')}
          </Tab>
        </TabList>
        <TabPanel id="campaigns" className="tabpanel">
          <CampaignList />
        </TabPanel>
        <TabPanel id="templates" className="tabpanel">
          <TemplateList />
        </TabPanel>
      </Tabs>
    </main>
  );
}

function Page() {
  const { t } = useI18n();
  const { pathname } = useLocation();
  const route = matchRoute(pathname);
  switch (route.page) {
    case 'campaigns':
      return <ListsPage tab="campaigns" />;
    case 'templates':
      return <ListsPage tab="templates" />;
    case 'campaign':
      return (
        <Suspense fallback={<main className="page">{t('app.loading')}</main>}>
          <CampaignPage id={route.id} />
        </Suspense>
      );
    case 'editor':
      return (
        <Suspense fallback={<main className="page">{t('app.loading')}</main>}>
          <EditorPage id={route.id} />
        </Suspense>
      );
    case 'notFound':
      return (
        <main className="page">
          <h1>{t('app.notFound')}</h1>
          <p>
            <a href="/">{t('app.back')}</a>
          </p>
        </main>
      );
    default: {
      const never: never = route;
      return never;
    }
  }
}

export function App() {
  const session = useSession();
  const { t } = useI18n();
  useEffect(() => {
    void checkSession();
  }, []);
  return (
    <NoticesProvider>
      <TopBar />
      {session.status === 'checking' ? (
        <main className="page" aria-busy="true">
          {t('app.loading')}
        </main>
      ) : session.status === 'signedOut' ? (
        <SignIn expired={session.expired} />
      ) : (
        <Page key={session.epoch} />
      )}
    </NoticesProvider>
  );
}
