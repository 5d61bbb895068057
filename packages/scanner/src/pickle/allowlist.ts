/**
 * The pickle import allowlist (decides `safe`) and denylist (explains and escalates to `unsafe`).
 *
 * Semantics, documented in docs/scanner-allowlist.md (generated from this data by
 * `node packages/scanner/test/pickle/gen-allowlist-doc.mjs`, and checked by a test):
 *
 * - An entry on the allowlist says: "calling this with any arguments built from other allowed
 *   values, and restoring its state with BUILD, runs no code the pickle author chose". Arguments
 *   that are themselves callables must be imported by the pickle and are classified on their own.
 * - Allowlist entries are exact `module.name` pairs. There are no module wildcards in the built-in
 *   list: a module that holds one safe class usually also holds functions that are not.
 * - The denylist matches by dotted prefix (`asyncio` denies `asyncio.unix_events.X`) and is checked
 *   against the full path and against every dotted suffix of a dotted name (`pathlib` + `os.system`
 *   is `os.system`). It always wins, also over `--allow`.
 * - Anything else is `unknown`: it cannot be proved safe and fails the default gate.
 */
import type { Allowlist } from '../context.js';
import type { ImportVerdict, Severity } from '../types.js';

export interface AllowGroup {
  title: string;
  /** Why every entry of the group is safe to import, call and BUILD. */
  why: string;
  entries: string[];
}

export interface DenyGroup {
  title: string;
  /** What the entries can do when a pickle calls them. */
  why: string;
  severity: Extract<Severity, 'critical' | 'high'>;
  /** Dotted paths; each matches itself and everything below it (`os` matches `os.path.join`). */
  entries: string[];
}

const TORCH_STORAGES = [
  'Float', 'Double', 'Half', 'BFloat16', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool', 'ComplexFloat', 'ComplexDouble',
  'QInt8', 'QUInt8', 'QInt32', 'QUInt4x2', 'QUInt2x4',
].map((t) => `${t}Storage`);

const TORCH_DTYPES = [
  'float32', 'float', 'float64', 'double', 'float16', 'half', 'bfloat16', 'complex32', 'chalf', 'complex64', 'cfloat',
  'complex128', 'cdouble', 'uint8', 'int8', 'int16', 'short', 'int32', 'int', 'int64', 'long', 'bool', 'qint8', 'quint8',
  'qint32', 'quint4x2', 'quint2x4', 'float8_e4m3fn', 'float8_e5m2', 'float8_e4m3fnuz', 'float8_e5m2fnuz', 'uint16', 'uint32',
  'uint64', 'bits8', 'bits16', 'bits1x8', 'bits2x4', 'bits4x2',
];

const NUMPY_SCALAR_TYPES = [
  'bool_', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'intc', 'uintc', 'int_', 'uint',
  'longlong', 'ulonglong', 'float16', 'float32', 'float64', 'longdouble', 'half', 'single', 'double', 'complex64',
  'complex128', 'clongdouble', 'csingle', 'cdouble', 'str_', 'bytes_', 'void', 'object_', 'datetime64', 'timedelta64',
];

const NUMPY_DTYPE_CLASSES = [
  'BoolDType', 'Int8DType', 'Int16DType', 'Int32DType', 'Int64DType', 'UInt8DType', 'UInt16DType', 'UInt32DType',
  'UInt64DType', 'ByteDType', 'UByteDType', 'ShortDType', 'UShortDType', 'IntDType', 'UIntDType', 'LongDType', 'ULongDType',
  'LongLongDType', 'ULongLongDType', 'Float16DType', 'Float32DType', 'Float64DType', 'LongDoubleDType', 'Complex64DType',
  'Complex128DType', 'CLongDoubleDType', 'ObjectDType', 'BytesDType', 'StrDType', 'VoidDType', 'DateTime64DType',
  'TimeDelta64DType', 'StringDType',
];

const SKLEARN_ESTIMATORS = [
    'sklearn.calibration.CalibratedClassifierCV', 'sklearn.cluster._affinity_propagation.AffinityPropagation',
    'sklearn.cluster._agglomerative.AgglomerativeClustering', 'sklearn.cluster._agglomerative.FeatureAgglomeration',
    'sklearn.cluster._bicluster.SpectralBiclustering', 'sklearn.cluster._bicluster.SpectralCoclustering',
    'sklearn.cluster._birch.Birch', 'sklearn.cluster._bisect_k_means.BisectingKMeans',
    'sklearn.cluster._dbscan.DBSCAN', 'sklearn.cluster._kmeans.KMeans', 'sklearn.cluster._kmeans.MiniBatchKMeans',
    'sklearn.cluster._mean_shift.MeanShift', 'sklearn.cluster._optics.OPTICS',
    'sklearn.cluster._spectral.SpectralClustering', 'sklearn.compose._column_transformer.ColumnTransformer',
    'sklearn.compose._target.TransformedTargetRegressor', 'sklearn.covariance._elliptic_envelope.EllipticEnvelope',
    'sklearn.covariance._empirical_covariance.EmpiricalCovariance', 'sklearn.covariance._graph_lasso.GraphicalLasso',
    'sklearn.covariance._graph_lasso.GraphicalLassoCV', 'sklearn.covariance._robust_covariance.MinCovDet',
    'sklearn.covariance._shrunk_covariance.LedoitWolf', 'sklearn.covariance._shrunk_covariance.OAS',
    'sklearn.covariance._shrunk_covariance.ShrunkCovariance', 'sklearn.cross_decomposition._pls.CCA',
    'sklearn.cross_decomposition._pls.PLSCanonical', 'sklearn.cross_decomposition._pls.PLSRegression',
    'sklearn.cross_decomposition._pls.PLSSVD', 'sklearn.decomposition._dict_learning.DictionaryLearning',
    'sklearn.decomposition._dict_learning.MiniBatchDictionaryLearning',
    'sklearn.decomposition._dict_learning.SparseCoder', 'sklearn.decomposition._factor_analysis.FactorAnalysis',
    'sklearn.decomposition._fastica.FastICA', 'sklearn.decomposition._incremental_pca.IncrementalPCA',
    'sklearn.decomposition._kernel_pca.KernelPCA', 'sklearn.decomposition._lda.LatentDirichletAllocation',
    'sklearn.decomposition._nmf.MiniBatchNMF', 'sklearn.decomposition._nmf.NMF', 'sklearn.decomposition._pca.PCA',
    'sklearn.decomposition._sparse_pca.MiniBatchSparsePCA', 'sklearn.decomposition._sparse_pca.SparsePCA',
    'sklearn.decomposition._truncated_svd.TruncatedSVD', 'sklearn.discriminant_analysis.LinearDiscriminantAnalysis',
    'sklearn.discriminant_analysis.QuadraticDiscriminantAnalysis', 'sklearn.dummy.DummyClassifier',
    'sklearn.dummy.DummyRegressor', 'sklearn.ensemble._bagging.BaggingClassifier',
    'sklearn.ensemble._bagging.BaggingRegressor', 'sklearn.ensemble._forest.ExtraTreesClassifier',
    'sklearn.ensemble._forest.ExtraTreesRegressor', 'sklearn.ensemble._forest.RandomForestClassifier',
    'sklearn.ensemble._forest.RandomForestRegressor', 'sklearn.ensemble._forest.RandomTreesEmbedding',
    'sklearn.ensemble._gb.GradientBoostingClassifier', 'sklearn.ensemble._gb.GradientBoostingRegressor',
    'sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier',
    'sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor',
    'sklearn.ensemble._iforest.IsolationForest', 'sklearn.ensemble._stacking.StackingClassifier',
    'sklearn.ensemble._stacking.StackingRegressor', 'sklearn.ensemble._voting.VotingClassifier',
    'sklearn.ensemble._voting.VotingRegressor', 'sklearn.ensemble._weight_boosting.AdaBoostClassifier',
    'sklearn.ensemble._weight_boosting.AdaBoostRegressor',
    'sklearn.feature_extraction._dict_vectorizer.DictVectorizer', 'sklearn.feature_extraction._hash.FeatureHasher',
    'sklearn.feature_extraction.image.PatchExtractor', 'sklearn.feature_extraction.text.CountVectorizer',
    'sklearn.feature_extraction.text.HashingVectorizer', 'sklearn.feature_extraction.text.TfidfTransformer',
    'sklearn.feature_extraction.text.TfidfVectorizer', 'sklearn.feature_selection._from_model.SelectFromModel',
    'sklearn.feature_selection._rfe.RFE', 'sklearn.feature_selection._rfe.RFECV',
    'sklearn.feature_selection._sequential.SequentialFeatureSelector',
    'sklearn.feature_selection._univariate_selection.GenericUnivariateSelect',
    'sklearn.feature_selection._univariate_selection.SelectFdr',
    'sklearn.feature_selection._univariate_selection.SelectFpr',
    'sklearn.feature_selection._univariate_selection.SelectFwe',
    'sklearn.feature_selection._univariate_selection.SelectKBest',
    'sklearn.feature_selection._univariate_selection.SelectPercentile',
    'sklearn.feature_selection._variance_threshold.VarianceThreshold',
    'sklearn.gaussian_process._gpc.GaussianProcessClassifier',
    'sklearn.gaussian_process._gpr.GaussianProcessRegressor', 'sklearn.impute._base.MissingIndicator',
    'sklearn.impute._base.SimpleImputer', 'sklearn.impute._knn.KNNImputer', 'sklearn.isotonic.IsotonicRegression',
    'sklearn.kernel_approximation.AdditiveChi2Sampler', 'sklearn.kernel_approximation.Nystroem',
    'sklearn.kernel_approximation.PolynomialCountSketch', 'sklearn.kernel_approximation.RBFSampler',
    'sklearn.kernel_approximation.SkewedChi2Sampler', 'sklearn.kernel_ridge.KernelRidge',
    'sklearn.linear_model._base.LinearRegression', 'sklearn.linear_model._bayes.ARDRegression',
    'sklearn.linear_model._bayes.BayesianRidge', 'sklearn.linear_model._coordinate_descent.ElasticNet',
    'sklearn.linear_model._coordinate_descent.ElasticNetCV', 'sklearn.linear_model._coordinate_descent.Lasso',
    'sklearn.linear_model._coordinate_descent.LassoCV',
    'sklearn.linear_model._coordinate_descent.MultiTaskElasticNet',
    'sklearn.linear_model._coordinate_descent.MultiTaskElasticNetCV',
    'sklearn.linear_model._coordinate_descent.MultiTaskLasso',
    'sklearn.linear_model._coordinate_descent.MultiTaskLassoCV', 'sklearn.linear_model._glm.glm.GammaRegressor',
    'sklearn.linear_model._glm.glm.PoissonRegressor', 'sklearn.linear_model._glm.glm.TweedieRegressor',
    'sklearn.linear_model._huber.HuberRegressor', 'sklearn.linear_model._least_angle.Lars',
    'sklearn.linear_model._least_angle.LarsCV', 'sklearn.linear_model._least_angle.LassoLars',
    'sklearn.linear_model._least_angle.LassoLarsCV', 'sklearn.linear_model._least_angle.LassoLarsIC',
    'sklearn.linear_model._logistic.LogisticRegression', 'sklearn.linear_model._logistic.LogisticRegressionCV',
    'sklearn.linear_model._omp.OrthogonalMatchingPursuit', 'sklearn.linear_model._omp.OrthogonalMatchingPursuitCV',
    'sklearn.linear_model._passive_aggressive.PassiveAggressiveClassifier',
    'sklearn.linear_model._passive_aggressive.PassiveAggressiveRegressor',
    'sklearn.linear_model._perceptron.Perceptron', 'sklearn.linear_model._quantile.QuantileRegressor',
    'sklearn.linear_model._ransac.RANSACRegressor', 'sklearn.linear_model._ridge.Ridge',
    'sklearn.linear_model._ridge.RidgeCV', 'sklearn.linear_model._ridge.RidgeClassifier',
    'sklearn.linear_model._ridge.RidgeClassifierCV', 'sklearn.linear_model._stochastic_gradient.SGDClassifier',
    'sklearn.linear_model._stochastic_gradient.SGDOneClassSVM',
    'sklearn.linear_model._stochastic_gradient.SGDRegressor', 'sklearn.linear_model._theil_sen.TheilSenRegressor',
    'sklearn.manifold._isomap.Isomap', 'sklearn.manifold._locally_linear.LocallyLinearEmbedding',
    'sklearn.manifold._mds.MDS', 'sklearn.manifold._spectral_embedding.SpectralEmbedding',
    'sklearn.manifold._t_sne.TSNE', 'sklearn.mixture._bayesian_mixture.BayesianGaussianMixture',
    'sklearn.mixture._gaussian_mixture.GaussianMixture', 'sklearn.model_selection._search.GridSearchCV',
    'sklearn.model_selection._search.RandomizedSearchCV', 'sklearn.multiclass.OneVsOneClassifier',
    'sklearn.multiclass.OneVsRestClassifier', 'sklearn.multiclass.OutputCodeClassifier',
    'sklearn.multioutput.ClassifierChain', 'sklearn.multioutput.MultiOutputClassifier',
    'sklearn.multioutput.MultiOutputRegressor', 'sklearn.multioutput.RegressorChain',
    'sklearn.naive_bayes.BernoulliNB', 'sklearn.naive_bayes.CategoricalNB', 'sklearn.naive_bayes.ComplementNB',
    'sklearn.naive_bayes.GaussianNB', 'sklearn.naive_bayes.MultinomialNB',
    'sklearn.neighbors._classification.KNeighborsClassifier',
    'sklearn.neighbors._classification.RadiusNeighborsClassifier', 'sklearn.neighbors._graph.KNeighborsTransformer',
    'sklearn.neighbors._graph.RadiusNeighborsTransformer', 'sklearn.neighbors._kde.KernelDensity',
    'sklearn.neighbors._lof.LocalOutlierFactor', 'sklearn.neighbors._nca.NeighborhoodComponentsAnalysis',
    'sklearn.neighbors._nearest_centroid.NearestCentroid', 'sklearn.neighbors._regression.KNeighborsRegressor',
    'sklearn.neighbors._regression.RadiusNeighborsRegressor', 'sklearn.neighbors._unsupervised.NearestNeighbors',
    'sklearn.neural_network._multilayer_perceptron.MLPClassifier',
    'sklearn.neural_network._multilayer_perceptron.MLPRegressor', 'sklearn.neural_network._rbm.BernoulliRBM',
    'sklearn.pipeline.FeatureUnion', 'sklearn.pipeline.Pipeline', 'sklearn.preprocessing._data.Binarizer',
    'sklearn.preprocessing._data.KernelCenterer', 'sklearn.preprocessing._data.MaxAbsScaler',
    'sklearn.preprocessing._data.MinMaxScaler', 'sklearn.preprocessing._data.Normalizer',
    'sklearn.preprocessing._data.PowerTransformer', 'sklearn.preprocessing._data.QuantileTransformer',
    'sklearn.preprocessing._data.RobustScaler', 'sklearn.preprocessing._data.StandardScaler',
    'sklearn.preprocessing._discretization.KBinsDiscretizer', 'sklearn.preprocessing._encoders.OneHotEncoder',
    'sklearn.preprocessing._encoders.OrdinalEncoder',
    'sklearn.preprocessing._function_transformer.FunctionTransformer', 'sklearn.preprocessing._label.LabelBinarizer',
    'sklearn.preprocessing._label.LabelEncoder', 'sklearn.preprocessing._label.MultiLabelBinarizer',
    'sklearn.preprocessing._polynomial.PolynomialFeatures', 'sklearn.preprocessing._polynomial.SplineTransformer',
    'sklearn.random_projection.GaussianRandomProjection', 'sklearn.random_projection.SparseRandomProjection',
    'sklearn.semi_supervised._label_propagation.LabelPropagation',
    'sklearn.semi_supervised._label_propagation.LabelSpreading',
    'sklearn.semi_supervised._self_training.SelfTrainingClassifier', 'sklearn.svm._classes.LinearSVC',
    'sklearn.svm._classes.LinearSVR', 'sklearn.svm._classes.NuSVC', 'sklearn.svm._classes.NuSVR',
    'sklearn.svm._classes.OneClassSVM', 'sklearn.svm._classes.SVC', 'sklearn.svm._classes.SVR',
    'sklearn.tree._classes.DecisionTreeClassifier', 'sklearn.tree._classes.DecisionTreeRegressor',
    'sklearn.tree._classes.ExtraTreeClassifier', 'sklearn.tree._classes.ExtraTreeRegressor',];

const SKLEARN_HELPERS = [
    'sklearn.calibration._CalibratedClassifier', 'sklearn.calibration._SigmoidCalibration',
    'sklearn.cluster._birch._CFNode', 'sklearn.cluster._birch._CFSubcluster',
    'sklearn.cluster._bisect_k_means._BisectingTree', 'sklearn.cluster._kmeans._kmeans_single_lloyd',
    'sklearn.ensemble._hist_gradient_boosting.binning._BinMapper',
    'sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor',
    'sklearn.feature_selection._univariate_selection.f_classif',
    'sklearn.gaussian_process._gpc._BinaryGaussianProcessClassifierLaplace', 'sklearn.multiclass._ConstantPredictor',
    'sklearn.neighbors._kd_tree.KDTree', 'sklearn.neighbors._kd_tree.newObj',
    'sklearn.neural_network._stochastic_optimizers.AdamOptimizer', 'sklearn.tree._tree.Tree',
    'sklearn.utils._bunch.Bunch',];

const SKLEARN_SUPPORT = [
  // Distance metrics (Cython classes) stored by KD/Ball trees and neighbors estimators.
  ...['BrayCurtis', 'Canberra', 'Chebyshev', 'Dice', 'Euclidean', 'Hamming', 'Haversine', 'Jaccard', 'Kulsinski', 'Mahalanobis',
    'Manhattan', 'Matching', 'Minkowski', 'RogersTanimoto', 'RussellRao', 'SEuclidean', 'SokalMichener', 'SokalSneath',
    'WMinkowski'].flatMap((m) => [`sklearn.metrics._dist_metrics.${m}Distance`, `sklearn.metrics._dist_metrics.${m}Distance32`]),
  'sklearn.metrics._dist_metrics.newObj',
  'sklearn.neighbors._ball_tree.BallTree',
  'sklearn.neighbors._ball_tree.newObj',
  // Loss and link objects held by fitted (hist) gradient boosting, GLMs and SGD.
  ...['AbsoluteError', 'HalfBinomialLoss', 'HalfGammaLoss', 'HalfMultinomialLoss', 'HalfPoissonLoss', 'HalfSquaredError',
    'HalfTweedieLoss', 'HalfTweedieLossIdentity', 'PinballLoss'].map((n) => `sklearn._loss.loss.${n}`),
  ...['AbsoluteError', 'HalfBinomialLoss', 'HalfGammaLoss', 'HalfMultinomialLoss', 'HalfPoissonLoss', 'HalfSquaredError',
    'HalfTweedieLoss', 'HalfTweedieLossIdentity', 'PinballLoss'].flatMap((n) => [`sklearn._loss._loss.Cy${n}`, `sklearn._loss._loss.__pyx_unpickle_Cy${n}`]),
  ...['IdentityLink', 'Interval', 'LogLink', 'LogitLink', 'MultinomialLogit'].map((n) => `sklearn._loss.link.${n}`),
  ...['BinomialDeviance', 'ExponentialLoss', 'HuberLossFunction', 'LeastAbsoluteError', 'LeastSquaresError', 'MultinomialDeviance',
    'QuantileLossFunction'].map((n) => `sklearn.ensemble._gb_losses.${n}`),
  ...['EpsilonInsensitive', 'Hinge', 'Huber', 'Log', 'ModifiedHuber', 'SquaredEpsilonInsensitive', 'SquaredHinge', 'SquaredLoss'].map(
    (n) => `sklearn.linear_model._sgd_fast.${n}`,
  ),
  'sklearn.neural_network._stochastic_optimizers.SGDOptimizer',
  // Gaussian process kernels (hyper-parameters and fitted arrays only).
  ...['CompoundKernel', 'ConstantKernel', 'DotProduct', 'ExpSineSquared', 'Exponentiation', 'Hyperparameter', 'Matern', 'Product',
    'RBF', 'RationalQuadratic', 'Sum', 'WhiteKernel'].map((n) => `sklearn.gaussian_process.kernels.${n}`),
];

export const ALLOW_GROUPS: readonly AllowGroup[] = [
  {
    title: 'Python built-in types',
    why: 'Constructors of plain data types (and the `object` base that `copyreg._reconstructor` passes). Called with data they only build containers, numbers or strings; `Ellipsis` and `NotImplemented` are constants.',
    entries: ['set', 'frozenset', 'slice', 'complex', 'bytearray', 'range', 'bytes', 'str', 'int', 'float', 'bool', 'tuple', 'list', 'dict', 'object', 'Ellipsis', 'NotImplemented'].map((n) => `builtins.${n}`),
  },
  {
    title: 'collections containers',
    why: 'Dictionary and sequence types; construction and SETITEMS/APPENDS only store values. `defaultdict` stores a default factory, which must itself be an import of the pickle and is classified on its own.',
    entries: ['OrderedDict', 'defaultdict', 'deque', 'Counter'].map((n) => `collections.${n}`),
  },
  {
    title: 'copyreg reconstruction helpers',
    why: 'What protocols 0-2 emit to rebuild instances: `_reconstructor(cls, base, state)` calls `base.__new__(cls)` and `base.__init__(obj, state)`, `__newobj__(cls, *args)` calls `cls.__new__`. The classes involved are imports of the same pickle and are classified on their own, so these helpers add no capability.',
    entries: ['copyreg._reconstructor', 'copyreg.__newobj__', 'copyreg.__newobj_ex__'],
  },
  {
    title: 'codecs.encode',
    why: 'Protocols 0-2 pickle `bytes` as `_codecs.encode(text, "latin1")`. Codec lookup only imports modules inside the `encodings` package (names with dots are refused by `encodings.search_function`), and encoding data runs no pickle-chosen code.',
    entries: ['_codecs.encode', 'codecs.encode'],
  },
  {
    title: 'Dates, decimals, fractions, UUIDs, paths',
    why: 'Value types whose constructors and `__setstate__` only parse and store their arguments. Only these exact names: `pathlib` also exposes `os` (a dotted name `pathlib` + `os.system` is denied).',
    entries: [
      'datetime.datetime', 'datetime.date', 'datetime.time', 'datetime.timedelta', 'datetime.timezone', 'decimal.Decimal',
      'fractions.Fraction', 'uuid.UUID', 'pathlib.PosixPath', 'pathlib.PurePosixPath', 'pathlib.WindowsPath', 'pathlib.PureWindowsPath',
    ],
  },
  {
    title: 'PyTorch tensor reconstruction',
    why: 'The functions `torch.save` emits to rebuild tensors and parameters from storages (persistent ids), sizes, strides and flags; they allocate tensor views and set flags/attributes. `_rebuild_from_type_v2(func, type, args, state)` calls `func`, which must itself be an import of the pickle and is classified on its own. These are the reductions PyTorch\'s own `weights_only` unpickler accepts.',
    entries: [
      ...['_rebuild_tensor', '_rebuild_tensor_v2', '_rebuild_tensor_v3', '_rebuild_parameter', '_rebuild_parameter_with_state', '_rebuild_qtensor',
        '_rebuild_sparse_tensor', '_rebuild_sparse_csr', '_rebuild_meta_tensor_no_storage', '_rebuild_device_tensor_from_numpy',
        '_rebuild_nested_tensor', '_rebuild_wrapper_subclass'].map((n) => `torch._utils.${n}`),
      'torch._tensor._rebuild_from_type', 'torch._tensor._rebuild_from_type_v2', 'torch.nn.parameter.Parameter',
      'torch.serialization._get_layout',
    ],
  },
  {
    title: 'PyTorch storage types',
    why: 'Storage classes named in persistent ids (`("storage", torch.FloatStorage, key, location, numel)`) so the loader knows the element type. The loader looks them up, it does not run pickle-chosen code through them.',
    entries: [
      ...TORCH_STORAGES.map((s) => `torch.${s}`), ...TORCH_STORAGES.map((s) => `torch.cuda.${s}`),
      'torch.UntypedStorage', 'torch.storage.UntypedStorage', 'torch.storage.TypedStorage', 'torch.storage._LegacyStorage',
    ],
  },
  {
    title: 'Nested torch.save payload (scanned)',
    why: '`torch.storage._load_from_bytes(b)` runs `torch.load` on the bytes `b`, so by itself it is as dangerous as the bytes. The pickle machine treats it as safe only when its argument is a raw bytes payload: the payload is then scanned as a child document and its own verdict counts. Any other argument gives `pickle.nested-load-unverified` (unknown).',
    entries: ['torch.storage._load_from_bytes'],
  },
  {
    title: 'PyTorch value types',
    why: 'Immutable descriptors: sizes, devices, dtypes, layouts, memory formats and quantization schemes. Fetching or constructing them runs no pickle-chosen code.',
    entries: [
      'torch.Size', 'torch.device', 'torch.dtype', 'torch.layout', 'torch.memory_format',
      ...TORCH_DTYPES.map((d) => `torch.${d}`),
      ...['strided', 'sparse_coo', 'sparse_csr', 'sparse_csc', 'sparse_bsr', 'sparse_bsc', '_mkldnn', 'jagged'].map((l) => `torch.${l}`),
      ...['contiguous_format', 'channels_last', 'channels_last_3d', 'preserve_format'].map((f) => `torch.${f}`),
      ...['per_tensor_affine', 'per_channel_affine', 'per_tensor_symmetric', 'per_channel_symmetric', 'per_channel_affine_float_qparams'].map((q) => `torch.${q}`),
    ],
  },
  {
    title: 'NumPy arrays, dtypes and scalars',
    why: 'What `ndarray.__reduce__`, `dtype.__reduce__` and scalar reductions emit: they allocate arrays from shapes, dtypes and raw bytes. Object arrays only hold values the pickle built from other (classified) imports.',
    entries: [
      'numpy.dtype', 'numpy.ndarray',
      ...['numpy.core', 'numpy._core'].flatMap((m) => [`${m}.multiarray._reconstruct`, `${m}.multiarray.scalar`, `${m}.numeric._frombuffer`]),
      'numpy.ma.core._mareconstruct', 'numpy.ma.core.MaskedArray',
      ...NUMPY_SCALAR_TYPES.map((t) => `numpy.${t}`),
      ...NUMPY_DTYPE_CLASSES.map((t) => `numpy.dtypes.${t}`),
    ],
  },
  {
    title: 'NumPy random generators',
    why: 'Reconstruct `RandomState` / `Generator` objects (stored by many scikit-learn estimators). The constructors pick a bit generator by name from NumPy\'s own table; a callable argument must itself be an import of the pickle and is classified on its own.',
    entries: [
      'numpy.random._pickle.__randomstate_ctor', 'numpy.random._pickle.__bit_generator_ctor', 'numpy.random._pickle.__generator_ctor',
      'numpy.random.mtrand.RandomState', 'numpy.random._generator.Generator', 'numpy.random._mt19937.MT19937', 'numpy.random._pcg64.PCG64',
      'numpy.random._pcg64.PCG64DXSM', 'numpy.random._philox.Philox', 'numpy.random._sfc64.SFC64',
    ],
  },
  {
    title: 'NumPy reductions used as estimator parameters',
    why: 'Pure numeric functions that scikit-learn estimators keep as parameters (e.g. an aggregation function). Referencing or calling them computes on data.',
    entries: ['numpy.mean', 'numpy.median', 'numpy.sum', 'numpy.max', 'numpy.min', 'numpy.amax', 'numpy.amin', 'numpy.std', 'numpy.var', 'numpy.nanmean', 'numpy.nanmedian'],
  },
  {
    title: 'joblib array wrapper',
    why: '`NumpyArrayWrapper` describes an array whose raw bytes follow it in the stream (`joblib.dump`). The pickle machine skips exactly those bytes the way `joblib.load` reads them, and also parses them the way plain `pickle.load` would, so nothing can hide there.',
    entries: ['joblib.numpy_pickle.NumpyArrayWrapper'],
  },
  {
    title: 'SciPy sparse matrices and splines',
    why: 'Data containers stored by scikit-learn (TF-IDF, one-hot encoders, spline transformers); restoring them sets arrays.',
    entries: [
      ...['csr_matrix', 'csc_matrix', 'coo_matrix', 'csr_array', 'csc_array', 'coo_array'].flatMap((c) => {
        const short = c.slice(0, 3);
        return [`scipy.sparse._${short}.${c}`, `scipy.sparse.${short}.${c}`, `scipy.sparse.${c}`];
      }),
      'scipy.interpolate._bsplines.BSpline',
    ],
  },
  {
    title: 'scikit-learn estimators (exact class names)',
    why: 'Every public estimator of scikit-learn (`sklearn.utils.all_estimators()` of 1.2, by the module path pickles use). scikit-learn\'s API contract (checked by its `check_estimator` suite) is that `__init__` only stores parameters and `__setstate__` only restores `__dict__` (with a version warning), so creating and restoring one runs no pickle-chosen code. Callables held as parameters (`FunctionTransformer.func`, custom kernels, tokenizers) must be imports of the same pickle and are classified on their own. Deliberately NOT a `sklearn.*` wildcard: scikit-learn modules also hold functions that run code or touch the network (`sklearn.utils._testing.assert_run_python_script` runs a Python subprocess, `sklearn.datasets.fetch_*` download), which a wildcard would allow. Out of scope: what a fitted model computes at predict time.',
    entries: SKLEARN_ESTIMATORS,
  },
  {
    title: 'scikit-learn fitted-state helpers',
    why: 'Private classes and functions that fitted estimators hold (trees, KD/Ball trees and their distance metrics, loss and link objects, binning, optimizers, `Bunch`), collected from real `joblib.dump` output. Their constructors and `__setstate__` restore arrays and numbers; `newObj(cls)` is `cls.__new__(cls)` for a class classified on its own. Note: `Tree.__setstate__` copies node arrays; scikit-learn validates their dtype and shape, and predict-time memory safety of crafted node arrays is outside what a load-time scan can promise.',
    entries: [...SKLEARN_HELPERS, ...SKLEARN_SUPPORT],
  },
];

export const DENY_GROUPS: readonly DenyGroup[] = [
  {
    title: 'Processes and the operating system',
    why: 'Run shell commands or programs, or change the process (os.system, subprocess.Popen, pty.spawn, posix/nt are the modules behind os).',
    severity: 'critical',
    entries: ['os', 'posix', 'nt', 'subprocess', '_posixsubprocess', 'pty', 'commands', 'popen2', 'platform', '_osx_support', '_aix_support', 'mailcap', 'pipes', 'multiprocessing', 'concurrent', '_winapi', 'msvcrt', 'winreg', 'signal'],
  },
  {
    title: 'Evaluating code',
    why: 'Execute or compile Python source or bytecode, or reach arbitrary objects by name (getattr after an import is how denylist bypasses chain).',
    severity: 'critical',
    entries: [
      ...['eval', 'exec', 'compile', '__import__', 'getattr', 'setattr', 'delattr', 'globals', 'locals', 'vars', 'breakpoint', 'help', 'exit', 'quit', '__build_class__', '__loader__', '__spec__', 'input', 'open'].map((n) => `builtins.${n}`),
      'runpy', 'code', 'codeop', 'pdb', 'bdb', 'timeit', 'profile', 'cProfile', 'trace', 'pydoc', 'doctest', 'idlelib', 'lib2to3', 'marshal', 'types', 'inspect',
      'importlib', 'imp', '_imp', 'zipimport', 'pkgutil', 'site', 'sys', 'gc', 'atexit', 'operator', '_operator', 'functools.partial', 'functools.partialmethod',
      'functools.reduce', 'copyreg.add_extension', 'copyreg.remove_extension', 'copyreg.clear_extension_cache', 'copyreg.pickle', 'copyreg.constructor',
      'ctypes', '_ctypes', 'tkinter', '_tkinter', 'turtle', 'turtledemo', 'unittest', 'test.support', 'asyncio',
      'jinja2', 'mako', 'yaml', 'IPython', 'sklearn.utils._testing',
    ],
  },
  {
    title: 'Installers and build tools',
    why: 'Install packages or compile and load native code (pip.main, ensurepip._run_pip, setuptools, torch.utils.cpp_extension, numpy.f2py).',
    severity: 'critical',
    entries: ['pip', 'ensurepip', 'setuptools', 'distutils', 'pkg_resources', 'venv', 'torch.utils.cpp_extension', 'numpy.f2py', 'numpy.distutils', 'numpy.ctypeslib', 'numpy.testing'],
  },
  {
    title: 'Nested deserializers',
    why: 'Load another pickle (or a model file that contains one) that this scan cannot see: pickle.loads, torch.load, numpy.load with allow_pickle, joblib.load, dill, cloudpickle, shelve.',
    severity: 'critical',
    entries: [
      'pickle', '_pickle', 'cPickle', 'dill', 'cloudpickle', 'shelve', 'torch.load', 'torch.serialization.load', 'torch.serialization._load', 'torch.serialization._legacy_load', 'torch.hub',
      'torch.jit', 'torch.package', 'numpy.load', 'numpy.lib.npyio', 'numpy.lib.format', 'joblib.load', 'joblib.numpy_pickle.load', 'joblib.numpy_pickle._unpickle', 'joblib.numpy_pickle_compat',
    ],
  },
  {
    title: 'PyTorch internals that run code',
    why: 'Run commands (torch.utils.collect_env.run), load native libraries (torch.ops.load_library, torch.classes), start processes or remote calls (torch.distributed.rpc, torch.multiprocessing), or trace and compile code.',
    severity: 'critical',
    entries: ['torch.utils.collect_env', 'torch.utils.bottleneck', 'torch.distributed', 'torch.multiprocessing', 'torch.ops', 'torch._ops', 'torch.classes', 'torch._classes', 'torch.fx', 'torch._dynamo', 'torch._inductor', 'torch.compile', 'torch._C._jit_set_profiling_mode'],
  },
  {
    title: 'joblib parallelism and caching',
    why: 'Parallel(...)(delayed(f)) calls functions in worker processes; Memory caches call results on disk.',
    severity: 'critical',
    entries: ['joblib.Parallel', 'joblib.parallel', 'joblib.Memory', 'joblib.memory', 'joblib._parallel_backends', 'joblib.externals'],
  },
  {
    title: 'Commands hidden in standard-library helpers',
    why: 'Private helpers that run a command line (the picklescan advisories: uuid._get_command_stdout, imaplib.IMAP4_stream).',
    severity: 'critical',
    entries: ['uuid._get_command_stdout', 'uuid._popen', 'uuid._find_mac', 'uuid._find_mac_near_keyword', 'uuid._find_mac_under_heading', 'uuid._ifconfig_getnode', 'uuid._ip_getnode', 'uuid._arp_getnode', 'uuid._lanscan_getnode', 'uuid._netstat_getnode', 'imaplib'],
  },
  {
    title: 'Files',
    why: 'Open, create, overwrite, move or delete files (shutil.rmtree, io.FileIO, logging.FileHandler, numpy.memmap, tarfile extraction).',
    severity: 'high',
    entries: [
      'shutil', 'tempfile', 'fileinput', 'zipfile', 'tarfile', 'dbm', 'sqlite3', '_sqlite3',
      ...['open', 'open_code', 'FileIO', 'BufferedReader', 'BufferedWriter', 'BufferedRandom', 'BufferedRWPair', 'TextIOWrapper'].flatMap((n) => [`io.${n}`, `_io.${n}`]),
      'codecs.open', 'codecs.EncodedFile', 'gzip.open', 'gzip.GzipFile', 'bz2.open', 'bz2.BZ2File', 'lzma.open', 'lzma.LZMAFile',
      'logging.FileHandler', 'logging.handlers', 'logging.config', 'logging.basicConfig',
      'numpy.fromfile', 'numpy.memmap', 'numpy.save', 'numpy.savez', 'numpy.savez_compressed', 'numpy.savetxt', 'numpy.loadtxt', 'numpy.genfromtxt',
      'torch.save', 'torch.serialization.save', 'torch.from_file',
    ],
  },
  {
    title: 'Network',
    why: 'Open connections or servers, or send data out (socket, urllib.request.urlopen, http.server, webbrowser.open).',
    severity: 'high',
    entries: [
      'socket', '_socket', 'socketserver', 'ssl', 'http.client', 'http.server', 'urllib.request', 'ftplib', 'poplib', 'smtplib', 'telnetlib', 'nntplib',
      'xmlrpc', 'webbrowser', 'antigravity', 'requests', 'urllib3', 'httpx', 'aiohttp', 'sklearn.datasets',
    ],
  },
];

const DUNDER = /^__.*__$/;

interface DenyHit {
  entry: string;
  group: DenyGroup;
}

function buildDenyIndex(): Map<string, DenyHit> {
  const m = new Map<string, DenyHit>();
  for (const group of DENY_GROUPS) for (const entry of group.entries) m.set(entry, { entry, group });
  return m;
}

function buildAllowIndex(): Map<string, AllowGroup> {
  const m = new Map<string, AllowGroup>();
  for (const group of ALLOW_GROUPS) for (const entry of group.entries) m.set(entry, group);
  return m;
}

const DENY = buildDenyIndex();
const ALLOW = buildAllowIndex();

/** The deny entry matching `path` or one of its dotted prefixes (`os` for `os.path.join`). */
function denyPrefix(path: string): DenyHit | undefined {
  let hit = DENY.get(path);
  if (hit) return hit;
  for (let i = path.lastIndexOf('.'); i > 0; i = path.lastIndexOf('.', i - 1)) {
    hit = DENY.get(path.slice(0, i));
    if (hit) return hit;
  }
  return undefined;
}

export interface Classification {
  verdict: ImportVerdict;
  reason: string;
  /** For unsafe verdicts: how bad (the deny group's severity, or critical for attribute traversal). */
  severity?: Extract<Severity, 'critical' | 'high'>;
}

/**
 * Deny check: the full dotted path, and for a dotted `name` (protocol 4 `find_class` walks it with
 * getattr, so any module re-export is reachable) every suffix of two or more segments.
 */
export function denyMatch(module: string, name: string): { entry: string; group: DenyGroup; path: string } | undefined {
  const full = `${module}.${name}`;
  const hit = denyPrefix(full);
  if (hit) return { ...hit, path: full };
  if (name.includes('.')) {
    const parts = name.split('.');
    for (let i = 0; i + 1 < parts.length; i++) {
      const suffix = parts.slice(i).join('.');
      const h = denyPrefix(suffix);
      if (h) return { ...h, path: suffix };
    }
  }
  return undefined;
}

function validExtra(entry: string): boolean {
  return /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*(\.\*)?$/.test(entry) && entry.includes('.');
}

export interface StewardAllowlist extends Allowlist {
  classify(module: string, name: string): Classification;
}

/**
 * The allowlist for one scan. `extra` entries (`--allow`, policy) are `module.name` (exact) or
 * `module.*` (every non-dotted name of that module and its submodules). They cannot override the
 * denylist, and a wildcard never covers dotted names or dunder attributes.
 */
export function createAllowlist(extra: string[] = []): StewardAllowlist {
  const extraExact = new Set<string>();
  const extraModules: string[] = [];
  for (const raw of extra) {
    const e = raw.trim();
    if (!validExtra(e)) continue;
    if (e.endsWith('.*')) extraModules.push(e.slice(0, -2));
    else extraExact.add(e);
  }
  const cache = new Map<string, Classification>();

  function compute(module: string, name: string): Classification {
    if (module === '' || name === '') return { verdict: 'unknown', reason: 'empty module or name (the import fails)' };
    const deny = denyMatch(module, name);
    if (deny) {
      const via = deny.path === `${module}.${name}` ? '' : ` (reached through the dotted name "${name}")`;
      return { verdict: 'unsafe', severity: deny.group.severity, reason: `denylisted: ${deny.entry} (${deny.group.title.toLowerCase()})${via}` };
    }
    const full = `${module}.${name}`;
    const group = ALLOW.get(full);
    if (group) return { verdict: 'safe', reason: `allowlisted: ${group.title}` };
    if (extraExact.has(full)) return { verdict: 'safe', reason: 'allowed by configuration (--allow)' };
    // Modules may be dunder-named (__main__, __builtin__); attributes reached by name may not.
    if (name.split('.').some((s) => DUNDER.test(s))) {
      return { verdict: 'unsafe', severity: 'critical', reason: 'dunder attribute in the import path: attribute traversal reaches arbitrary objects' };
    }
    if (!name.includes('.')) {
      for (const m of extraModules) {
        if (module === m || module.startsWith(`${m}.`)) return { verdict: 'safe', reason: `allowed by configuration (--allow ${m}.*)` };
      }
    }
    return { verdict: 'unknown', reason: 'not on the allowlist' };
  }

  return {
    classify(module: string, name: string): Classification {
      const key = `${module}\0${name}`;
      let c = cache.get(key);
      if (!c) {
        c = compute(module, name);
        if (cache.size < 100_000) cache.set(key, c);
      }
      return c;
    },
  };
}
