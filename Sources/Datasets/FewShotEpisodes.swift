import Tensors

/// Classes of images to draw N-way K-shot episodes from: Omniglot characters and their quarter turns
/// (`OmniglotClasses`), the classes of a mini-ImageNet split (`MiniImageNet`).
public protocol FewShotClassSource: Sendable {
    /// The shape of one image, (C, H, W): channels, height, width.
    var imageShape: [Int] { get }
    /// Number of classes.
    var classCount: Int { get }
    /// Number of examples (images) of class `c`, `c` in `0..<classCount`.
    func exampleCount(ofClass c: Int) -> Int
    /// A name for class `c`, for reports.
    func className(_ c: Int) -> String
    /// Image `example` of class `c`: C·H·W values, planar (C, H, W), row-major.
    func image(ofClass c: Int, example: Int) throws -> [Float]
}

/// One N-way K-shot episode: a support set of K images of each of N classes to adapt on and a query set of
/// Q other images of each class to evaluate on.
///
/// Labels are the integers 0..<N: label `i` is the i-th class drawn (`classes[i]`), so they are shuffled
/// from one episode to the next. Both sets are class-major: support image `i` has label `i / K`, query image
/// `i` label `i / Q`.
public struct FewShotEpisode: Sendable {
    /// (N·K, C, H, W), Float32.
    public var supportImages: Tensor
    /// N·K labels in 0..<N: `supportLabels[i] == i / K`.
    public var supportLabels: [Int]
    /// (N·Q, C, H, W), Float32.
    public var queryImages: Tensor
    /// N·Q labels in 0..<N: `queryLabels[i] == i / Q`.
    public var queryLabels: [Int]
    /// The index in the class source of each label's class: `classes[label]`.
    public var classes: [Int]

    public init(supportImages: Tensor, supportLabels: [Int], queryImages: Tensor, queryLabels: [Int], classes: [Int]) {
        precondition(supportImages.shape.first == supportLabels.count && queryImages.shape.first == queryLabels.count,
                     "FewShotEpisode: \(supportImages.shape) support images with \(supportLabels.count) labels, \(queryImages.shape) query images with \(queryLabels.count) labels")
        self.supportImages = supportImages
        self.supportLabels = supportLabels
        self.queryImages = queryImages
        self.queryLabels = queryLabels
        self.classes = classes
    }

    /// N, the number of classes.
    public var ways: Int { classes.count }

    /// The episode as support and query examples with the labels as targets: a Float32 tensor of shape
    /// (examples,) holding the integer labels 0..<N (exactly representable).
    public var episode: Episode {
        Episode(support: TaskExamples(inputs: supportImages, targets: FewShotEpisode.labelTensor(supportLabels)),
                query: TaskExamples(inputs: queryImages, targets: FewShotEpisode.labelTensor(queryLabels)))
    }

    /// `labels` as a Float32 tensor of shape (labels.count,).
    public static func labelTensor(_ labels: [Int]) -> Tensor {
        Tensor(shape: [labels.count], scalars: labels.map { Float($0) })
    }
}

/// Draws N-way K-shot episodes from a class source, as the few-shot protocol says: N classes without
/// replacement in random order (label i = the i-th class drawn), then for each class K support and Q query
/// images without replacement, and, when `queryAugmentation` is not `.none`, each query image (never a
/// support image) transformed by its own random affine map (the paper's Algorithm 2).
///
/// Everything random comes from the generator passed to `episode(using:)`, in this order: the classes, the
/// images of each class (a partial Fisher–Yates shuffle), then the query transforms in query order.
public struct FewShotEpisodeSampler: Sendable {
    public let classes: any FewShotClassSource
    /// N, K, Q.
    public let ways: Int
    public let shots: Int
    public let queries: Int
    /// Applied to each query image; `.none` leaves them as they are.
    public var queryAugmentation: ImageAugmentation

    /// Checks that `classes` can give the episodes: 1 ≤ N ≤ class count, K ≥ 1, Q ≥ 0 and K + Q images in
    /// every class; otherwise throws `episodeTooLarge` saying which count is short.
    public init(classes: any FewShotClassSource, ways: Int, shots: Int, queries: Int = 15,
                queryAugmentation: ImageAugmentation = .none) throws {
        guard ways >= 1, shots >= 1, queries >= 0 else {
            throw ImageDatasetError.episodeTooLarge(detail: "expected ways ≥ 1, shots ≥ 1 and queries ≥ 0, got \(ways), \(shots), \(queries)")
        }
        guard ways <= classes.classCount else {
            throw ImageDatasetError.episodeTooLarge(detail: "\(ways) ways, but there are only \(classes.classCount) classes")
        }
        if let smallest = (0..<classes.classCount).min(by: { classes.exampleCount(ofClass: $0) < classes.exampleCount(ofClass: $1) }),
           classes.exampleCount(ofClass: smallest) < shots + queries {
            throw ImageDatasetError.episodeTooLarge(
                detail: "\(shots) support + \(queries) query images per class, but class \(classes.className(smallest)) has only \(classes.exampleCount(ofClass: smallest))")
        }
        self.classes = classes
        self.ways = ways
        self.shots = shots
        self.queries = queries
        self.queryAugmentation = queryAugmentation
    }

    /// The next episode: support (N·K, C, H, W) and query (N·Q, C, H, W) images, Float32, with their labels.
    /// Throws only when the class source cannot read an image (e.g. a mini-ImageNet file gone bad).
    public func episode(using generator: inout SplitMix64) throws -> FewShotEpisode {
        let chosen = FewShotEpisodeSampler.choose(ways, from: classes.classCount, using: &generator)
        var support: [Float] = [], query: [Float] = []
        let shape = classes.imageShape
        let size = shape.reduce(1, *)
        support.reserveCapacity(ways * shots * size)
        query.reserveCapacity(ways * queries * size)
        var queryImages: [[Float]] = []
        for c in chosen {
            let examples = FewShotEpisodeSampler.choose(shots + queries, from: classes.exampleCount(ofClass: c), using: &generator)
            for e in examples[..<shots] { support += try classes.image(ofClass: c, example: e) }
            for e in examples[shots...] { queryImages.append(try classes.image(ofClass: c, example: e)) }
        }
        for image in queryImages {
            query += queryAugmentation.apply(to: image, channels: shape[0], height: shape[1], width: shape[2], using: &generator)
        }
        return FewShotEpisode(
            supportImages: Tensor(shape: [ways * shots] + shape, scalars: support),
            supportLabels: (0..<(ways * shots)).map { $0 / shots },
            queryImages: Tensor(shape: [ways * queries] + shape, scalars: query),
            queryLabels: (0..<(ways * queries)).map { $0 / Swift.max(queries, 1) },
            classes: chosen)
    }

    /// `count` distinct integers of 0..<n in random order (a partial Fisher–Yates shuffle).
    static func choose(_ count: Int, from n: Int, using generator: inout SplitMix64) -> [Int] {
        var order = Array(0..<n)
        for i in 0..<count {
            let j = i + Int(generator.next() % UInt64(n - i))
            order.swapAt(i, j)
        }
        return Array(order[..<count])
    }
}
