// The custom-request JSON shapes (SPEC 6) as the views consume them; the contract lives in core, once.
export type {
  IdtCategory, IdtEntryView, IdtGateType, IdtView,
  GdtEntryView, GdtView,
  KtssFields, TssView,
  ServiceEntryView, ServiceTableView, SsdtView,
  KernelStackEntryView, KernelStackView,
  MsrView,
  TranslationFaultView, TranslationSuccessView, TranslationView,
} from '../../core/nt/decoders/shapes';
