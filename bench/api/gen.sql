-- gen.sql - {{N}} generated campaigns (and a run for ~20% of them) for the list benchmark,
-- inserted straight into the catalog tables in one transaction. The catalog's triggers keep
-- sw_campaigns_fts, sw_campaign_tags and the status and tag counters in step, as they do for
-- the API. The documents go to sw_campaign_documents (catalog migration 12).
--
-- Substituted by run.sh: {{N}} (campaigns), {{NOW}} (the frozen "now", epoch ms).
-- Deterministic: every choice is a hash of the campaign id (no random()), so the same N gives
-- the same catalog on every machine.
--
-- r(k) below is a cheap integer hash of (id, k) in [0, 2^31 - 1); every product stays under
-- 2^63, so SQLite never falls back to floating point.
PRAGMA cache_size = -1000000;
PRAGMA temp_store = MEMORY;
-- A rollback journal for the load (the catalog is in WAL mode: a 1M-row transaction would be
-- written twice, to the WAL and then by the checkpoint); back to WAL at the end.
PRAGMA journal_mode = DELETE;
PRAGMA synchronous = OFF;

CREATE TEMP TABLE w_adj(i INTEGER PRIMARY KEY, w TEXT NOT NULL);
INSERT INTO w_adj SELECT key, value FROM json_each('["Spring","Summer","Autumn","Winter",
  "Weekend","Flash","Holiday","Loyalty","Welcome","Win-back","Birthday","Anniversary","VIP",
  "Clearance","Launch","Reactivation","Back-to-school","New year","Midweek","Evening",
  "Early-bird","Last-chance","Members","Referral","Seasonal","Daily","Monthly","Quarterly",
  "Weekly","Mid-season"]');

-- 200 products: a search for one of them matches ~0.5% of the names.
CREATE TEMP TABLE w_product(i INTEGER PRIMARY KEY, w TEXT NOT NULL);
INSERT INTO w_product SELECT key, value FROM json_each('["sneakers","sandals","boots",
  "loafers","slippers","jackets","raincoats","parkas","blazers","cardigans","sweaters",
  "hoodies","t-shirts","polos","blouses","shirts","jeans","chinos","shorts","skirts","dresses",
  "jumpsuits","leggings","pyjamas","swimwear","lingerie","socks","scarves","gloves","beanies",
  "caps","sunglasses","watches","bracelets","necklaces","earrings","handbags","backpacks",
  "wallets","suitcases","umbrellas","perfumes","lipsticks","mascara","moisturizers",
  "shampoos","razors","toothbrushes","candles","cushions","blankets","duvets","towels",
  "curtains","rugs","lamps","armchairs","sofas","bookcases","wardrobes","mattresses","desks",
  "stools","mirrors","vases","teapots","kettles","toasters","blenders","juicers","espresso",
  "cookware","skillets","cutlery","glassware","tableware","aprons","barbecues","planters",
  "seedlings","lawnmowers","hammocks","parasols","tents","sleeping bags","kayaks","paddles",
  "bicycles","helmets","scooters","skateboards","snowboards","ski wear","treadmills",
  "dumbbells","yoga mats","protein bars","running belts","smartwatches","headphones",
  "earbuds","speakers","turntables","vinyl records","audiobooks","e-readers","tablets",
  "laptops","monitors","keyboards","webcams","printers","routers","drones","camcorders",
  "tripods","game consoles","board games","jigsaws","puzzles","plush toys","dolls",
  "building blocks","train sets","crayons","notebooks","fountain pens","calendars",
  "greeting cards","gift wrap","chocolates","pralines","macarons","truffles","olive oil",
  "vinegars","spices","herbal teas","coffee beans","craft beer","cider","champagne","rosé",
  "whisky","gin","cheeses","charcuterie","smoothies","granola","cereals","honey","jams",
  "baby food","diapers","strollers","car seats","cribs","pet food","cat litter","dog beds",
  "aquariums","bird feeders","garden tools","drills","screwdrivers","ladders","paint",
  "wallpaper","tiles","faucets","showerheads","radiators","heaters","fans","dehumidifiers",
  "air purifiers","vacuums","robot mops","irons","sewing kits","yarn","canvas","easels",
  "guitars","ukuleles","keyboards pro","drum kits","microphones","concert tickets",
  "city breaks","cruises","ski passes","spa days","cooking classes","wine tastings",
  "gift cards","subscriptions","insurance","mortgages","savings","credit cards","loans"]');

CREATE TEMP TABLE w_channel(i INTEGER PRIMARY KEY, w TEXT NOT NULL);
INSERT INTO w_channel SELECT key, value FROM json_each('["email","SMS","push","newsletter",
  "digest","reminder","offer","teaser"]');

CREATE TEMP TABLE w_region(i INTEGER PRIMARY KEY, code TEXT NOT NULL, w TEXT NOT NULL);
INSERT INTO w_region SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]')
  FROM json_each('[["FR","France"],["DE","Germany"],["ES","Spain"],["IT","Italy"],
  ["NO","the Nordics"],["BE","Benelux"],["UK","the UK"],["IE","Ireland"],["PL","Poland"],
  ["PT","Portugal"],["AT","Austria"],["CH","Switzerland"],["US","the US"],["CA","Canada"],
  ["JP","Japan"]]');

CREATE TEMP TABLE w_verb(i INTEGER PRIMARY KEY, w TEXT NOT NULL);
INSERT INTO w_verb SELECT key, value FROM json_each('["Reach","Re-engage","Upsell","Greet",
  "Remind","Reward","Nurture","Inform","Convert","Retain"]');

CREATE TEMP TABLE w_segment(i INTEGER PRIMARY KEY, w TEXT NOT NULL);
INSERT INTO w_segment SELECT key, value FROM json_each('["new subscribers","lapsed buyers",
  "high-value customers","first-time visitors","app users","loyalty members","students",
  "parents","frequent travellers","opted-in contacts","dormant accounts","one-time buyers",
  "repeat buyers","newsletter readers","members with points to spend","churn-risk customers",
  "recent sign-ups","store visitors","mobile-only users","trial users"]');

CREATE TEMP TABLE w_incentive(i INTEGER PRIMARY KEY, w TEXT NOT NULL);
INSERT INTO w_incentive SELECT key, value FROM json_each('[""," with a 10% discount",
  " with free delivery"," with double points"," with an early-access link",
  " with a personal recommendation"," before the stock runs out"," with a reminder two days later",
  " on their preferred channel"," with a survey at the end"]');

-- ~200 parent campaigns: 40 programmes x 5 years.
CREATE TEMP TABLE w_parent(i INTEGER PRIMARY KEY, w TEXT NOT NULL);
INSERT INTO w_parent SELECT p.key * 5 + y.value - 2023, p.value || ' ' || y.value
  FROM json_each('["Always on","Black Friday","Cyber Monday","Christmas","New Year","Sales",
  "Spring collection","Summer collection","Autumn collection","Winter collection",
  "Back to school","Valentine","Mother day","Father day","Easter","Halloween","Singles day",
  "Prime days","Brand awareness","Onboarding","Retention","Win-back","Loyalty programme",
  "App adoption","Store openings","Product launches","Clearance","Partnerships","Events",
  "Webinars","Surveys","Referral programme","Gift season","Travel season","Home and garden",
  "Sports season","Kids","Beauty week","Tech week","Food festival"]') p,
  generate_series(2023, 2027) y;

-- 50 tags, the first ones far more common than the last ones.
CREATE TEMP TABLE w_tag(i INTEGER PRIMARY KEY, w TEXT NOT NULL);
INSERT INTO w_tag SELECT key, value FROM json_each('["newsletter","promo","vip","lifecycle",
  "retention","acquisition","onboarding","winback","seasonal","loyalty","b2c","b2b","mobile",
  "web","fr","de","es","it","uk","us","test","ab-test","high-priority","low-priority",
  "transactional","marketing","compliance","gdpr","q1","q2","q3","q4","brand","performance",
  "crm","upsell","cross-sell","referral","survey","nps","events","webinar","product-launch",
  "clearance","flash-sale","abandoned-cart","birthday","anniversary","reactivation","partner"]');

CREATE TEMP TABLE w_error_activity(i INTEGER PRIMARY KEY, w TEXT NOT NULL);
INSERT INTO w_error_activity SELECT key, value FROM json_each('["send_email","audience",
  "enrich","export","send_sms"]');

BEGIN;

CREATE TEMP TABLE g AS
SELECT id, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13,
       -- two-year spread of creation times, then an update somewhere after creation
       {{NOW}} - (r7 * 65536 + r8 % 65536) % 63072000000 AS created_at
FROM (
  SELECT id,
    ((id * 2654435761 + 1 * 97531) % 4294967291) * 48271 % 2147483647 AS r1,
    ((id * 2654435761 + 2 * 97531) % 4294967291) * 48271 % 2147483647 AS r2,
    ((id * 2654435761 + 3 * 97531) % 4294967291) * 48271 % 2147483647 AS r3,
    ((id * 2654435761 + 4 * 97531) % 4294967291) * 48271 % 2147483647 AS r4,
    ((id * 2654435761 + 5 * 97531) % 4294967291) * 48271 % 2147483647 AS r5,
    ((id * 2654435761 + 6 * 97531) % 4294967291) * 48271 % 2147483647 AS r6,
    ((id * 2654435761 + 7 * 97531) % 4294967291) * 48271 % 2147483647 AS r7,
    ((id * 2654435761 + 8 * 97531) % 4294967291) * 48271 % 2147483647 AS r8,
    ((id * 2654435761 + 9 * 97531) % 4294967291) * 48271 % 2147483647 AS r9,
    ((id * 2654435761 + 10 * 97531) % 4294967291) * 48271 % 2147483647 AS r10,
    ((id * 2654435761 + 11 * 97531) % 4294967291) * 48271 % 2147483647 AS r11,
    ((id * 2654435761 + 12 * 97531) % 4294967291) * 48271 % 2147483647 AS r12,
    ((id * 2654435761 + 13 * 97531) % 4294967291) * 48271 % 2147483647 AS r13
  FROM (SELECT value + (SELECT coalesce(max(id), 0) FROM sw_campaigns) AS id
        FROM generate_series(1, {{N}}))
);

CREATE TEMP TABLE c AS
SELECT g.id,
  a.w || ' ' || pr.w || ' ' || ch.w || ' ' || rg.code || '-' || (g.id % 10000) AS name,
  CASE WHEN g.r5 % 10 = 0 THEN NULL
       ELSE v.w || ' ' || sg.w || ' in ' || rg.w || inc.w || '.' END AS description,
  CASE WHEN g.r6 % 10 = 0 THEN NULL
       ELSE (SELECT w FROM w_parent WHERE i = (g.r6 / 10) % 200) END AS campaign,
  CASE WHEN g.r9 % 100 < 93 THEN 'profiles' WHEN g.r9 % 100 < 98 THEN 'households'
       ELSE 'orders' END AS dimension,
  -- 0 to 3 distinct tags (15% none, 45% one, 30% two, 10% three); the first tag is skewed
  -- toward the start of the list.
  CASE WHEN g.r10 % 100 < 15 THEN '[]'
       WHEN g.r10 % 100 < 60 THEN json_array(t1.w)
       WHEN g.r10 % 100 < 90 THEN json_array(t1.w, t2.w)
       ELSE json_array(t1.w, t2.w, t3.w) END AS tags,
  CASE WHEN g.r11 % 100 < 20 THEN 'draft' WHEN g.r11 % 100 < 45 THEN 'running'
       WHEN g.r11 % 100 < 53 THEN 'paused' WHEN g.r11 % 100 < 95 THEN 'completed'
       ELSE 'failed' END AS status,
  g.created_at,
  g.created_at + (g.r12 * 65536 + g.r13 % 65536) % ({{NOW}} - g.created_at + 1) AS updated_at,
  g.r1, g.r2, g.r3
FROM g
JOIN w_adj a ON a.i = g.r1 % 30
JOIN w_product pr ON pr.i = g.r2 % 200
JOIN w_channel ch ON ch.i = g.r3 % 8
JOIN w_region rg ON rg.i = g.r4 % 15
JOIN w_verb v ON v.i = (g.r5 / 10) % 10
JOIN w_segment sg ON sg.i = (g.r5 / 100) % 20
JOIN w_incentive inc ON inc.i = (g.r5 / 2000) % 10
JOIN w_tag t1 ON t1.i = ((g.r8 % 50) * (g.r8 % 50)) / 50
JOIN w_tag t2 ON t2.i = (t1.i + 1 + (g.r8 / 50) % 24) % 50
JOIN w_tag t3 ON t3.i = (t1.i + 25 + (g.r8 / 1200) % 24) % 50;

INSERT INTO sw_campaigns(id, name, description, campaign, dimension, tags, status,
                         created_at, updated_at, last_run_at, next_run_at, last_error_activity)
SELECT id, name, description, campaign, dimension, tags, status, created_at, updated_at,
  -- drafts never ran; one running campaign in ten has not run yet
  CASE WHEN status = 'draft' OR (status = 'running' AND r1 % 10 = 0) THEN NULL
       ELSE created_at + (r2 * 65536 + r3 % 65536) % ({{NOW}} - created_at + 1) END,
  -- at least a day ahead: the daemon (serving with the same frozen now) never finds one due
  CASE WHEN status = 'running' THEN {{NOW}} + 86400000 + (r3 * 7) % 2592000000 END,
  CASE WHEN status = 'failed'
       THEN (SELECT w FROM w_error_activity WHERE i = r1 % 5) END
FROM c;

-- Each campaign's document, in its own table (catalog migration 12).
INSERT INTO sw_campaign_documents(campaign_id, document)
SELECT id, json_object('name', name, 'description', description, 'campaign', campaign,
              'tags', json(tags), 'dimension', dimension,
              'activities', json('[{"id":"audience","type":"build_audience","filter":'
                                 || '{"field":"email_opt_in","op":"eq","value":true}},'
                                 || '{"id":"done","type":"end"}]'),
              'transitions', json('[{"from":"audience","to":"done"}]'))
FROM c;

-- One finished run for ~20% of the campaigns (about a quarter of those that ever ran), ending
-- at the campaign's last_run_at; processed_from/processed_to match on these.
INSERT INTO sw_runs(campaign_id, status, trigger, simulation, variables, seed, started_at,
                    ended_at, error)
SELECT id, CASE status WHEN 'failed' THEN 'failed' ELSE 'completed' END,
       CASE WHEN id % 7 = 0 THEN 'manual' ELSE 'schedule' END, 0, NULL, id,
       last_run_at - 60000 - (id * 7919) % 3600000, last_run_at,
       CASE WHEN status = 'failed' THEN 'activity ' || last_error_activity || ' failed' END
FROM sw_campaigns
WHERE last_run_at IS NOT NULL AND (id * 7919) % 100 < 26;

COMMIT;
DROP TABLE temp.g;
DROP TABLE temp.c;
ANALYZE;
PRAGMA journal_mode = WAL;
