package io.openregistry.metadata.r2dbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.Page;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.IntStream;

/**
 * The repository search of the browsing API ({@link OrgStore#catalogFor} with a substring) on
 * 100,000 repositories, the same data on every database: {@code org<i % 100>/team<i % 37>/svc<i>},
 * every tenth public. {@link #check} compares what the store answers with the expected names
 * computed here, and times each search (the median of several runs, printed; no timed assertions).
 */
final class RepositorySearchScale {
    static final int REPOSITORIES = 100_000;
    private static final List<String> NAMES = IntStream.rangeClosed(1, REPOSITORIES).mapToObj(RepositorySearchScale::name)
            .sorted().toList();

    /** A search, as who (anonymous: both null; an admin; or a user), its text and page size. */
    record Search(String label, String username, boolean admin, String contains, int n) {
    }

    /** The searches both databases run: rare, common, short and absent substrings, for each kind of caller. */
    static final List<Search> SEARCHES = List.of(
            new Search("anonymous, rare", null, false, "svc1234", 50),
            new Search("anonymous, common", null, false, "team3/", 50),
            new Search("anonymous, none", null, false, "zzz", 50),
            new Search("admin, rare", null, true, "svc9999", 50),
            new Search("admin, 2 chars", null, true, "c9", 50),
            new Search("admin, none", null, true, "nothing", 50),
            new Search("user org7, rare", "org7", false, "svc1234", 50),
            new Search("user org7, common", "org7", false, "team5/", 50),
            new Search("user org7, prefix of its own", "org7", false, "org7/", 50));

    private RepositorySearchScale() {
    }

    static String name(int i) {
        return "org" + (i % 100) + "/team" + (i % 37) + "/svc" + i;
    }

    /** The INSERT of the data on PostgreSQL. */
    static String postgresInsert() {
        return "INSERT INTO repositories (name, is_public) SELECT 'org' || (g % 100) || '/team' || (g % 37) || '/svc' || g,"
                + " g % 10 = 0 FROM generate_series(1, " + REPOSITORIES + ") g";
    }

    /** The INSERT of the data on H2. */
    static String h2Insert() {
        return "INSERT INTO repositories (name, is_public) SELECT CONCAT('org', CAST(MOD(X, 100) AS VARCHAR), '/team',"
                + " CAST(MOD(X, 37) AS VARCHAR), '/svc', CAST(X AS VARCHAR)), MOD(X, 10) = 0"
                + " FROM SYSTEM_RANGE(1, " + REPOSITORIES + ")";
    }

    /** Every page of the search, in order, and the expected names; the median time of a first page. */
    static void check(OrgStore orgs, String database) {
        List<String> report = new ArrayList<>();
        for (Search s : SEARCHES) {
            Predicate<String> visible = s.admin() ? name -> true
                    : name -> isPublic(name) || (s.username() != null && name.startsWith(s.username() + "/"));
            List<String> expected = NAMES.stream().filter(visible).filter(name -> name.contains(s.contains())).toList();
            // the first page, and all of them for the rarer searches
            List<String> found = new ArrayList<>();
            String last = null;
            int pages = expected.size() > 500 ? 1 : Integer.MAX_VALUE;
            for (int page = 0; page < pages; page++) {
                Page p = orgs.catalogFor(s.username(), null, s.admin(), last, s.n(), s.contains()).block(Duration.ofMinutes(1));
                found.addAll(p.items());
                if (!p.hasMore()) {
                    break;
                }
                last = p.items().get(p.items().size() - 1);
            }
            assertThat(found).as(s.label()).isEqualTo(pages == 1 ? expected.subList(0, Math.min(s.n(), expected.size()))
                    : expected);
            long[] nanos = new long[7];
            for (int i = 0; i < nanos.length; i++) {
                long start = System.nanoTime();
                orgs.catalogFor(s.username(), null, s.admin(), null, s.n(), s.contains()).block(Duration.ofMinutes(1));
                nanos[i] = System.nanoTime() - start;
            }
            Arrays.sort(nanos);
            report.add(String.format("%-30s q=%-9s matches %6d: first page median %7.2f ms (min %7.2f, max %7.2f)",
                    s.label(), s.contains(), expected.size(), nanos[3] / 1e6, nanos[0] / 1e6, nanos[6] / 1e6));
        }
        System.out.println("repository search on " + database + ", " + REPOSITORIES + " repositories, 7 runs each:\n"
                + String.join("\n", report));
    }

    private static boolean isPublic(String name) {
        int i = Integer.parseInt(name.substring(name.lastIndexOf("/svc") + 4));
        return i % 10 == 0;
    }
}
