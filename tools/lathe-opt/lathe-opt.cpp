//===- lathe-opt.cpp - mlir-opt with Lathe's dialects and passes ----------===//
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

#include "codegen/cpu/CpuCodegen.h"
#include "dialects/dispatch/DispatchOps.h"
#include "dialects/graph/GraphOps.h"
#include "passes/Passes.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  lathe::registerLathePasses();
  lathe::cpu::registerCpuCodegenPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<lathe::dispatch::DispatchDialect, lathe::graph::GraphDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Lathe optimizer driver\n", registry));
}
