export type Repository = { name: string; visibility: 'public' | 'private'; pushed_at: string | null };
export type RepositoryDetail = Repository & {
  tag_count?: number;
  storage_bytes?: number;
  can?: { push: boolean; delete: boolean; admin: boolean };
};
export type Tag = { name: string; digest: string; media_type: string; size: number; pushed_at: string | null };
export type Descriptor = { digest: string; media_type: string; size: number };
export type Platform = Descriptor & { os?: string | null; architecture?: string | null; variant?: string | null };
export type Referrer = Descriptor & { artifact_type?: string | null; annotations?: Record<string, string> | null };
export type ImageConfig = Descriptor & {
  created?: string | null;
  os?: string | null;
  architecture?: string | null;
  entrypoint?: string[] | null;
  cmd?: string[] | null;
  labels?: Record<string, string> | null;
};
export type ManifestDetail = {
  digest: string;
  media_type: string;
  size: number;
  artifact_type?: string | null;
  subject?: Descriptor | string | null;
  annotations?: Record<string, string> | null;
  tags?: string[];
  platforms?: Platform[] | null;
  config?: ImageConfig | null;
  layers?: Descriptor[] | null;
  referrers?: Referrer[] | null;
};
export type Stats = { storage_bytes: number; pulls_total: number; pulls: { day: string; count: number }[] };
