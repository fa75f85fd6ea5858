package io.openregistry.metadata.r2dbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.openregistry.config.DatabaseUrls;
import org.junit.jupiter.api.Test;

class R2dbcUrlsTest {
    @Test
    void jdbcUrlsForFlyway() {
        assertThat(R2dbcUrls.jdbcUrl("r2dbc:postgresql://u:secret@db:5433/reg")).isEqualTo("jdbc:postgresql://db:5433/reg");
        assertThat(R2dbcUrls.jdbcUrl("r2dbc:postgresql://db/reg")).isEqualTo("jdbc:postgresql://db:5432/reg");
        assertThat(R2dbcUrls.jdbcUrl("r2dbc:h2:file:////tmp/x/registry?options=MODE=PostgreSQL;LOCK_TIMEOUT=1000"))
                .isEqualTo("jdbc:h2:file:/tmp/x/registry;MODE=PostgreSQL;LOCK_TIMEOUT=1000");
        assertThat(R2dbcUrls.jdbcUrl("r2dbc:h2:mem:///test")).isEqualTo("jdbc:h2:mem:test");
    }

    @Test
    void theConfigurationChecksTheShapeWithoutTheDriver() {
        DatabaseUrls.check("r2dbc:postgresql://u:p@db:5433/reg");
        DatabaseUrls.check("r2dbc:pool:postgresql://db/reg");
        DatabaseUrls.check("r2dbc:h2:file:////tmp/x");
        assertThatThrownBy(() -> DatabaseUrls.check("r2dbc:postgresql:///reg")).hasMessageContaining("database.url");
        assertThatThrownBy(() -> DatabaseUrls.check("r2dbc:postgresql://u:p@/reg")).hasMessageContaining("names no host");
        assertThatThrownBy(() -> DatabaseUrls.check("r2dbc:h2:tcp://x/y")).hasMessageContaining("database.url");
        assertThatThrownBy(() -> R2dbcUrls.options("r2dbc:postgresql:nothing")).hasMessageContaining("database.url");
    }
}
