package io.cleave.server;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * Layers point one way (STYLE.md, habit 4): {@code grpc → node → shard/meta → raft → storage}.
 * Storage knows neither Ratis nor gRPC; nothing below the services knows them.
 */
@AnalyzeClasses(packages = "io.cleave.server", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
  private static final String SERVER = "io.cleave.server..";
  private static final String STORAGE = "io.cleave.server.storage..";
  private static final String SHARD = "io.cleave.server.shard..";
  private static final String META = "io.cleave.server.meta..";
  private static final String RAFT = "io.cleave.server.raft..";
  private static final String NODE = "io.cleave.server.node..";
  private static final String GRPC = "io.cleave.server.grpc..";
  private static final String GRPC_LIBRARY = "io.grpc..";
  private static final String RATIS = "org.apache.ratis..";

  /** No class in {@code layer} may use a class in any of {@code forbidden}. */
  private static ArchRule doesNotKnow(String layer, String... forbidden) {
    return noClasses()
        .that()
        .resideInAPackage(layer)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(forbidden);
  }

  @ArchTest
  static final ArchRule storageKnowsNeitherRatisNorGrpc = doesNotKnow(STORAGE, RATIS, GRPC_LIBRARY);

  @ArchTest
  static final ArchRule storageKnowsNoOtherServerPackage =
      noClasses()
          .that()
          .resideInAPackage(STORAGE)
          .should()
          .dependOnClassesThat(resideInAPackage(SERVER).and(not(resideInAPackage(STORAGE))));

  @ArchTest
  static final ArchRule shardKnowsNeitherTheServicesNorTheNode =
      doesNotKnow(SHARD, GRPC, GRPC_LIBRARY, NODE);

  @ArchTest static final ArchRule metaKnowsNoServices = doesNotKnow(META, GRPC, GRPC_LIBRARY);

  @ArchTest static final ArchRule raftKnowsNoServices = doesNotKnow(RAFT, GRPC, GRPC_LIBRARY);

  @ArchTest
  static final ArchRule raftKnowsNothingAboveIt = doesNotKnow(RAFT, SHARD, META, NODE, GRPC);

  @ArchTest
  static final ArchRule serverPackagesAreFreeOfCycles =
      slices().matching("io.cleave.server.(*)..").should().beFreeOfCycles();
}
