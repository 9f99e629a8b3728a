export default function CampaignPage({ id }: { id: number }) {
  return <main className="page">Campaign {id}</main>;
}
