package io.openregistry.arch;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.INTERFACES;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The dependency directions of DESIGN.md ("Layout by capability"), checked on the compiled main
 * classes: the spec types depend on nothing of ours, handlers speak only to services, uploads
 * know nothing of HTTP, storage backends stand alone, metrics is a leaf under http, and the
 * configuration names no driver.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArchitectureTest {
    private JavaClasses classes;

    @BeforeAll
    void importMainClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.openregistry");
    }

    @Test
    void ociDependsOnNothingElseOfOurs() {
        check(noClasses().that().resideInAPackage("io.openregistry.oci..")
                .should().dependOnClassesThat(resideInAPackage("io.openregistry..")
                        .and(resideOutsideOfPackage("io.openregistry.oci..")).as("other packages of ours"))
                .because("oci is the spec as types"));
    }

    /**
     * Handlers reach data only through services. The records a service hands out (ManifestRecord,
     * UploadRecord, BlobRecord, Page, AccountStore.Credential) are data and may be read; the store
     * seams (the interfaces of {@code metadata}), the R2DBC implementation, the blob stores and
     * files may not be touched.
     */
    @Test
    void handlersSpeakOnlyToServices() {
        check(noClasses().that().resideInAPackage("io.openregistry.api..")
                .should().dependOnClassesThat(resideInAPackage("io.openregistry.metadata..").and(INTERFACES)
                        .as("metadata store seams"))
                .orShould().dependOnClassesThat().resideInAnyPackage("io.openregistry.metadata.r2dbc..",
                        "io.openregistry.storage..", "java.nio.file..")
                .orShould().dependOnClassesThat().belongToAnyOf(java.io.File.class,
                        java.nio.channels.FileChannel.class)
                .because("handlers parse the request, call a service and write the response"));
    }

    @Test
    void uploadsKnowNothingOfHttp() {
        check(noClasses().that().resideInAPackage("io.openregistry.upload..")
                .should().dependOnClassesThat().resideInAnyPackage("io.netty.handler.codec.http..",
                        "reactor.netty.http..", "io.openregistry.http..")
                .because("headers and URLs are the handlers' business"));
    }

    @Test
    void noStorageBackendDependsOnAnother() {
        // staging/ is not a backend: it is the local staging every backend is composed with
        check(slices().matching("io.openregistry.storage.(*)..").should().notDependOnEachOther()
                .ignoreDependency(com.tngtech.archunit.base.DescribedPredicate.alwaysTrue(),
                        resideInAPackage("io.openregistry.storage.staging.."))
                .because("each backend implements the BlobStore seam on its own"));
        check(noClasses().that().resideInAPackage("io.openregistry.storage.staging..")
                .should().dependOnClassesThat().resideInAnyPackage("io.openregistry.storage.fs..",
                        "io.openregistry.storage.s3..", "io.openregistry.storage.ipfs..",
                        "io.openregistry.storage.remote..")
                .because("staging serves every backend and knows none"));
    }

    @Test
    void metricsIsBelowHttp() {
        check(noClasses().that().resideInAPackage("io.openregistry.metrics..")
                .should().dependOnClassesThat().resideInAPackage("io.openregistry.http..")
                .because("metrics holds meter names; http may use them, not the reverse"));
        // with http -> metrics in place (route templates, meter names), this is "no cycle between them"
    }

    /**
     * webauthn4j brings Jackson 3 ({@code tools.jackson}) beside the Jackson 2 everything else
     * uses; both stay behind {@code auth.WebAuthn}, which takes and gives JSON text and our records.
     */
    @Test
    void webAuthnStaysInOneClass() {
        check(noClasses().that().doNotHaveFullyQualifiedName("io.openregistry.auth.WebAuthn")
                .should().dependOnClassesThat().resideInAnyPackage("com.webauthn4j..", "tools.jackson..")
                .because("the WebAuthn library and its Jackson 3 are auth.WebAuthn's business"));
    }

    @Test
    void configurationNamesNoDriver() {
        check(noClasses().that().resideInAPackage("io.openregistry.config..")
                .should().dependOnClassesThat().resideInAnyPackage("io.r2dbc..", "software.amazon..",
                        "org.postgresql..", "org.h2..")
                .because("drivers belong to the layers that use them (metadata.r2dbc, storage.s3)"));
    }

    private void check(ArchRule rule) {
        rule.check(classes);
    }
}
